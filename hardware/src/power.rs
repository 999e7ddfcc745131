//! Modem power control written once against embedded-hal 1.0: power-key pulses, reset pulses and the
//! STATUS line, with per-model timings as data.
//!
//! Implementations of the pins:
//! - [`RecordingBoard`]: a recording fake (pins + delay sharing a virtual clock) for unit tests of sequences;
//! - [`SimBoard`]: pins wired to a modem of a running [`Lab`]: a valid power-key pulse really powers that
//!   modem off (pty gone) or on (new pty, boot URCs);
//! - `gpio` (feature `gpio-cdev`): the Linux GPIO character device via the `gpiocdev` crate.

use std::sync::{Arc, Mutex};

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorKind, ErrorType, InputPin, OutputPin};

/// Pulse timings of one modem model. Times in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PowerTiming {
    /// Model name.
    pub model: &'static str,
    /// PWRKEY held low this long turns the module on.
    pub on_pulse_ms: u32,
    /// PWRKEY held low this long turns the module off.
    pub off_pulse_ms: u32,
    /// RESET held low this long resets the module (None: no reset line).
    pub reset_pulse_ms: Option<u32>,
    /// How long STATUS may take to follow a power change.
    pub status_timeout_ms: u32,
    /// Where the numbers come from.
    pub source: &'static str,
}

/// Quectel EC25: PWRKEY low ≥ 500 ms to turn on, ≥ 650 ms to turn off, RESET_N low 150–460 ms
/// (Quectel "EC25 Hardware Design", power-on/off and reset sections; values as given in the project issue,
/// not checked against a stored copy of the datasheet). The Quectel M95 design guide shows the same scheme:
/// "pull the PWRKEY pin to low level for more than 1 second to turn on the module" when STATUS is ignored
/// (M95_HD_V1.0 p.31).
pub const QUECTEL_EC25: PowerTiming = PowerTiming {
    model: "Quectel EC25",
    on_pulse_ms: 500,
    off_pulse_ms: 650,
    reset_pulse_ms: Some(300),
    status_timeout_ms: 30_000,
    source: "Quectel EC25 Hardware Design (PWRKEY ≥500 ms on, ≥650 ms off, RESET_N 150–460 ms)",
};

/// SIMCom SIM800: PWRKEY low ~1 s to turn on, ~1.5 s to turn off, RESET low ≥ 105 ms (SIMCom "SIM800
/// Hardware Design"; values as given in the project issue, not checked against a stored copy).
pub const SIM800: PowerTiming = PowerTiming {
    model: "SIMCom SIM800",
    on_pulse_ms: 1000,
    off_pulse_ms: 1500,
    reset_pulse_ms: Some(105),
    status_timeout_ms: 5_000,
    source: "SIMCom SIM800 Hardware Design (PWRKEY ~1 s on, ~1.5 s off, RESET ≥105 ms)",
};

/// Errors of a power sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PowerError {
    /// A pin failed.
    #[error("GPIO pin error: {0:?}")]
    Pin(ErrorKind),
    /// STATUS did not follow within `status_timeout_ms`.
    #[error("STATUS line did not go {expected} within {timeout_ms} ms")]
    StatusTimeout {
        /// "high" or "low".
        expected: &'static str,
        /// The timeout.
        timeout_ms: u32,
    },
    /// The model or the wiring has no reset line.
    #[error("no RESET line is wired for this modem")]
    NoResetLine,
}

fn pin<E: embedded_hal::digital::Error>(e: E) -> PowerError {
    PowerError::Pin(e.kind())
}

/// Power control of one modem: PWRKEY (driven active-low at the module), optional RESET, optional STATUS.
#[derive(Debug)]
pub struct PowerControl<K, R, S, D> {
    pwrkey: K,
    reset: Option<R>,
    status: Option<S>,
    delay: D,
    timing: PowerTiming,
}

impl<K: OutputPin, R: OutputPin, S: InputPin, D: DelayNs> PowerControl<K, R, S, D> {
    /// Wires the lines. PWRKEY and RESET are released (driven high) at once.
    pub fn new(
        mut pwrkey: K,
        mut reset: Option<R>,
        status: Option<S>,
        delay: D,
        timing: PowerTiming,
    ) -> Result<Self, PowerError> {
        pwrkey.set_high().map_err(pin)?;
        if let Some(r) = reset.as_mut() {
            r.set_high().map_err(pin)?;
        }
        Ok(PowerControl {
            pwrkey,
            reset,
            status,
            delay,
            timing,
        })
    }

    /// Whether STATUS says the module is on (None without a STATUS line).
    pub fn is_on(&mut self) -> Result<Option<bool>, PowerError> {
        match self.status.as_mut() {
            Some(s) => s.is_high().map(Some).map_err(pin),
            None => Ok(None),
        }
    }

    fn pulse_pwrkey(&mut self, ms: u32) -> Result<(), PowerError> {
        self.pwrkey.set_low().map_err(pin)?;
        self.delay.delay_ms(ms);
        self.pwrkey.set_high().map_err(pin)
    }

    fn wait_status(&mut self, high: bool) -> Result<(), PowerError> {
        let Some(_) = self.status else {
            return Ok(());
        };
        let mut waited = 0;
        loop {
            if self.is_on()? == Some(high) {
                return Ok(());
            }
            if waited >= self.timing.status_timeout_ms {
                return Err(PowerError::StatusTimeout {
                    expected: if high { "high" } else { "low" },
                    timeout_ms: self.timing.status_timeout_ms,
                });
            }
            self.delay.delay_ms(100);
            waited += 100;
        }
    }

    /// Turns the module on (no pulse if STATUS already says on, since a pulse would turn it off).
    pub fn power_on(&mut self) -> Result<(), PowerError> {
        if self.is_on()? == Some(true) {
            return Ok(());
        }
        self.pulse_pwrkey(self.timing.on_pulse_ms)?;
        self.wait_status(true)
    }

    /// Turns the module off (no pulse if STATUS already says off).
    pub fn power_off(&mut self) -> Result<(), PowerError> {
        if self.is_on()? == Some(false) {
            return Ok(());
        }
        self.pulse_pwrkey(self.timing.off_pulse_ms)?;
        self.wait_status(false)
    }

    /// Power cycle: off, then on.
    pub fn power_cycle(&mut self) -> Result<(), PowerError> {
        self.power_off()?;
        self.power_on()
    }

    /// Hardware reset pulse on RESET.
    pub fn reset(&mut self) -> Result<(), PowerError> {
        let ms = self.timing.reset_pulse_ms.ok_or(PowerError::NoResetLine)?;
        let r = self.reset.as_mut().ok_or(PowerError::NoResetLine)?;
        r.set_low().map_err(pin)?;
        self.delay.delay_ms(ms);
        let r = self.reset.as_mut().ok_or(PowerError::NoResetLine)?;
        r.set_high().map_err(pin)
    }

    /// Gives the pins back.
    pub fn release(self) -> (K, Option<R>, Option<S>, D) {
        (self.pwrkey, self.reset, self.status, self.delay)
    }
}

// ------------------------------------------------------------------ recording fake

/// One recorded pin change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinEvent {
    /// Pin name.
    pub pin: &'static str,
    /// Virtual time in ms.
    pub at_ms: u64,
    /// New level.
    pub high: bool,
}

#[derive(Debug, Default)]
struct Recording {
    now_ns: u64,
    events: Vec<PinEvent>,
    status: bool,
    /// Status follows PWRKEY pulses: (on threshold, off threshold) in ms.
    model: Option<(u32, u32)>,
    key_low_since: Option<u64>,
}

/// A recording fake board: pins and a delay sharing a virtual clock (delays advance it, nothing sleeps).
#[derive(Debug, Clone, Default)]
pub struct RecordingBoard(Arc<Mutex<Recording>>);

/// An output pin of a [`RecordingBoard`].
#[derive(Debug, Clone)]
pub struct RecordingPin {
    board: RecordingBoard,
    name: &'static str,
}

/// The STATUS input of a [`RecordingBoard`].
#[derive(Debug, Clone)]
pub struct RecordingStatus(RecordingBoard);

/// The delay of a [`RecordingBoard`].
#[derive(Debug, Clone)]
pub struct RecordingDelay(RecordingBoard);

impl RecordingBoard {
    /// A board whose STATUS follows PWRKEY like a module with `timing` (or stays put with `None`).
    pub fn new(timing: Option<PowerTiming>, initially_on: bool) -> RecordingBoard {
        let b = RecordingBoard::default();
        {
            let mut r = b.lock();
            r.model = timing.map(|t| (t.on_pulse_ms, t.off_pulse_ms));
            r.status = initially_on;
        }
        b
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recording> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An output pin named `name` (`"PWRKEY"` drives the modelled module).
    pub fn pin(&self, name: &'static str) -> RecordingPin {
        RecordingPin {
            board: self.clone(),
            name,
        }
    }

    /// The STATUS input.
    pub fn status(&self) -> RecordingStatus {
        RecordingStatus(self.clone())
    }

    /// The delay.
    pub fn delay(&self) -> RecordingDelay {
        RecordingDelay(self.clone())
    }

    /// Every pin change so far.
    pub fn events(&self) -> Vec<PinEvent> {
        self.lock().events.clone()
    }

    /// The modelled module's power state.
    pub fn module_on(&self) -> bool {
        self.lock().status
    }
}

impl ErrorType for RecordingPin {
    type Error = core::convert::Infallible;
}

impl OutputPin for RecordingPin {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        let mut r = self.board.lock();
        let at_ns = r.now_ns;
        r.events.push(PinEvent {
            pin: self.name,
            at_ms: at_ns / 1_000_000,
            high: false,
        });
        if self.name == "PWRKEY" {
            r.key_low_since = Some(at_ns);
        }
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Self::Error> {
        let mut r = self.board.lock();
        let at_ns = r.now_ns;
        r.events.push(PinEvent {
            pin: self.name,
            at_ms: at_ns / 1_000_000,
            high: true,
        });
        if self.name == "PWRKEY"
            && let Some(since) = r.key_low_since.take()
            && let Some((on, off)) = r.model
        {
            let held = (at_ns - since) / 1_000_000;
            if r.status && held >= u64::from(off) {
                r.status = false;
            } else if !r.status && held >= u64::from(on) {
                r.status = true;
            }
        }
        Ok(())
    }
}

impl ErrorType for RecordingStatus {
    type Error = core::convert::Infallible;
}

impl InputPin for RecordingStatus {
    fn is_high(&mut self) -> Result<bool, Self::Error> {
        Ok(self.0.lock().status)
    }
    fn is_low(&mut self) -> Result<bool, Self::Error> {
        Ok(!self.0.lock().status)
    }
}

impl DelayNs for RecordingDelay {
    fn delay_ns(&mut self, ns: u32) {
        self.0.lock().now_ns += u64::from(ns);
    }
}

// ------------------------------------------------------------------ simulated board wired to a lab modem
#[cfg(feature = "sim")]
mod sim_board {
    use super::*;
    use crate::sim::lab::{Fault, Lab};

    #[derive(Debug)]
    struct SimState {
        now_ns: u64,
        on: bool,
        key_low_since: Option<u64>,
    }

    /// Pins wired to modem `index` of a running [`Lab`]: a PWRKEY pulse long enough for `timing` powers the
    /// simulated modem off (its pty closes, the symlink goes) or on (new pty behind the same symlink, boot URCs);
    /// RESET reboots it. Delays advance a virtual clock (nothing sleeps, so it is safe inside async code).
    #[derive(Debug, Clone)]
    pub struct SimBoard {
        lab: Lab,
        index: usize,
        timing: PowerTiming,
        state: Arc<Mutex<SimState>>,
    }

    /// An output pin of a [`SimBoard`].
    #[derive(Debug, Clone)]
    pub struct SimPin {
        board: SimBoard,
        reset: bool,
    }

    /// STATUS of a [`SimBoard`].
    #[derive(Debug, Clone)]
    pub struct SimStatus(SimBoard);

    /// Delay of a [`SimBoard`].
    #[derive(Debug, Clone)]
    pub struct SimDelay(SimBoard);

    /// A simulated-pin failure (the lab stopped).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct SimPinError;

    impl embedded_hal::digital::Error for SimPinError {
        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    impl SimBoard {
        /// Wires to modem `index` (assumed powered on).
        pub fn new(lab: Lab, index: usize, timing: PowerTiming) -> SimBoard {
            SimBoard {
                lab,
                index,
                timing,
                state: Arc::new(Mutex::new(SimState {
                    now_ns: 0,
                    on: true,
                    key_low_since: None,
                })),
            }
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
            self.state.lock().unwrap_or_else(|p| p.into_inner())
        }

        /// PWRKEY.
        pub fn pwrkey(&self) -> SimPin {
            SimPin {
                board: self.clone(),
                reset: false,
            }
        }

        /// RESET.
        pub fn reset(&self) -> SimPin {
            SimPin {
                board: self.clone(),
                reset: true,
            }
        }

        /// STATUS.
        pub fn status(&self) -> SimStatus {
            SimStatus(self.clone())
        }

        /// Delay.
        pub fn delay(&self) -> SimDelay {
            SimDelay(self.clone())
        }
    }

    impl ErrorType for SimPin {
        type Error = SimPinError;
    }

    impl OutputPin for SimPin {
        fn set_low(&mut self) -> Result<(), Self::Error> {
            let mut s = self.board.lock();
            s.key_low_since = Some(s.now_ns);
            Ok(())
        }

        fn set_high(&mut self) -> Result<(), Self::Error> {
            let mut s = self.board.lock();
            let Some(since) = s.key_low_since.take() else {
                return Ok(());
            };
            let held_ms = (s.now_ns - since) / 1_000_000;
            let t = self.board.timing;
            let fault = if self.reset {
                t.reset_pulse_ms
                    .filter(|ms| held_ms >= u64::from(*ms))
                    .map(|_| Fault::Reboot)
            } else if s.on && held_ms >= u64::from(t.off_pulse_ms) {
                s.on = false;
                Some(Fault::PowerOff)
            } else if !s.on && held_ms >= u64::from(t.on_pulse_ms) {
                s.on = true;
                Some(Fault::PowerOn)
            } else {
                None
            };
            drop(s);
            if let Some(f) = fault {
                self.board
                    .lab
                    .fault_nowait(self.board.index, f)
                    .map_err(|_| SimPinError)?;
            }
            Ok(())
        }
    }

    impl ErrorType for SimStatus {
        type Error = SimPinError;
    }

    impl InputPin for SimStatus {
        fn is_high(&mut self) -> Result<bool, Self::Error> {
            Ok(self.0.lock().on)
        }
        fn is_low(&mut self) -> Result<bool, Self::Error> {
            Ok(!self.0.lock().on)
        }
    }

    impl DelayNs for SimDelay {
        fn delay_ns(&mut self, ns: u32) {
            self.0.lock().now_ns += u64::from(ns);
        }
    }
}
#[cfg(feature = "sim")]
pub use sim_board::{SimBoard, SimDelay, SimPin, SimPinError, SimStatus};

// ------------------------------------------------------------------ Linux GPIO character device

/// Linux GPIO character-device lines (feature `gpio-cdev`).
#[cfg(feature = "gpio-cdev")]
pub mod gpio {
    use embedded_hal::digital::{ErrorKind, ErrorType, InputPin, OutputPin};
    use gpiocdev::line::Value;
    use gpiocdev::request::{Config, Request};

    /// A gpiocdev failure.
    #[derive(Debug)]
    pub struct GpioError(pub gpiocdev::Error);

    impl embedded_hal::digital::Error for GpioError {
        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    /// One requested line (`/dev/gpiochipN`, offset), as output or input.
    #[derive(Debug)]
    pub struct CdevPin {
        req: Request,
        offset: u32,
    }

    impl CdevPin {
        /// Requests `offset` on `chip` as an output, initially high (released).
        pub fn output(chip: &str, offset: u32, consumer: &str) -> Result<CdevPin, GpioError> {
            let mut cfg = Config::default();
            cfg.with_line(offset).as_output(Value::Active);
            let req = Request::from_config(cfg)
                .on_chip(chip)
                .with_consumer(consumer)
                .request()
                .map_err(GpioError)?;
            Ok(CdevPin { req, offset })
        }

        /// Requests `offset` on `chip` as an input.
        pub fn input(chip: &str, offset: u32, consumer: &str) -> Result<CdevPin, GpioError> {
            let mut cfg = Config::default();
            cfg.with_line(offset).as_input();
            let req = Request::from_config(cfg)
                .on_chip(chip)
                .with_consumer(consumer)
                .request()
                .map_err(GpioError)?;
            Ok(CdevPin { req, offset })
        }
    }

    impl ErrorType for CdevPin {
        type Error = GpioError;
    }

    impl OutputPin for CdevPin {
        fn set_low(&mut self) -> Result<(), GpioError> {
            self.req
                .set_value(self.offset, Value::Inactive)
                .map_err(GpioError)
        }
        fn set_high(&mut self) -> Result<(), GpioError> {
            self.req
                .set_value(self.offset, Value::Active)
                .map_err(GpioError)
        }
    }

    impl InputPin for CdevPin {
        fn is_high(&mut self) -> Result<bool, GpioError> {
            Ok(self.req.value(self.offset).map_err(GpioError)? == Value::Active)
        }
        fn is_low(&mut self) -> Result<bool, GpioError> {
            Ok(!self.is_high()?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Ctl = PowerControl<RecordingPin, RecordingPin, RecordingStatus, RecordingDelay>;

    fn control(board: &RecordingBoard, timing: PowerTiming) -> Ctl {
        PowerControl::new(
            board.pin("PWRKEY"),
            Some(board.pin("RESET")),
            Some(board.status()),
            board.delay(),
            timing,
        )
        .unwrap()
    }

    fn low_pulses(events: &[PinEvent], pin: &str) -> Vec<u64> {
        let mut out = Vec::new();
        let mut since = None;
        for e in events.iter().filter(|e| e.pin == pin) {
            match (e.high, since) {
                (false, _) => since = Some(e.at_ms),
                (true, Some(s)) => {
                    out.push(e.at_ms - s);
                    since = None;
                }
                (true, None) => {}
            }
        }
        out
    }

    #[test]
    fn ec25_power_on_holds_pwrkey_low_for_500_ms_and_waits_for_status() {
        let board = RecordingBoard::new(Some(QUECTEL_EC25), false);
        let mut c = control(&board, QUECTEL_EC25);
        c.power_on().unwrap();
        assert_eq!(low_pulses(&board.events(), "PWRKEY"), vec![500]);
        assert!(board.module_on());
    }

    #[test]
    fn sim800_power_off_holds_pwrkey_low_for_1500_ms() {
        let board = RecordingBoard::new(Some(SIM800), true);
        let mut c = control(&board, SIM800);
        c.power_off().unwrap();
        assert_eq!(low_pulses(&board.events(), "PWRKEY"), vec![1500]);
        assert!(!board.module_on());
    }

    #[test]
    fn power_on_does_not_pulse_when_status_already_high() {
        let board = RecordingBoard::new(Some(QUECTEL_EC25), true);
        let mut c = control(&board, QUECTEL_EC25);
        c.power_on().unwrap();
        assert!(low_pulses(&board.events(), "PWRKEY").is_empty());
    }

    #[test]
    fn a_module_that_never_raises_status_times_out_with_a_clear_error() {
        let board = RecordingBoard::new(None, false);
        let mut c = control(&board, QUECTEL_EC25);
        let err = c.power_on().unwrap_err();
        assert_eq!(
            err,
            PowerError::StatusTimeout {
                expected: "high",
                timeout_ms: 30_000
            }
        );
    }

    #[test]
    fn reset_pulses_the_reset_line_for_the_model_time() {
        let board = RecordingBoard::new(Some(SIM800), true);
        let mut c = control(&board, SIM800);
        c.reset().unwrap();
        assert_eq!(low_pulses(&board.events(), "RESET"), vec![105]);
        assert!(low_pulses(&board.events(), "PWRKEY").is_empty());
    }

    #[test]
    fn power_cycle_is_an_off_pulse_then_an_on_pulse() {
        let board = RecordingBoard::new(Some(QUECTEL_EC25), true);
        let mut c = control(&board, QUECTEL_EC25);
        c.power_cycle().unwrap();
        assert_eq!(low_pulses(&board.events(), "PWRKEY"), vec![650, 500]);
        assert!(board.module_on());
    }
}
