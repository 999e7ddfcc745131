/**
 * The one-port settings form's logic: the form's text values from the port's settings as they
 * run, and the PATCH body from what changed. The PIN is write-only: the form never holds the
 * current one (the server never gives it), an empty PIN field changes nothing, and removing it
 * is an explicit choice.
 */
import type { PortSettings } from '../../api/box';

export interface SettingsForm {
  device: string;
  baud: string;
  flow_control: string;
  profile: string;
  /** A new PIN; empty: unchanged. */
  pin: string;
  /** Remove the configured PIN (wins over `pin`). */
  clearPin: boolean;
  smsc: string;
  text_mode: boolean;
}

export const FLOW_CONTROLS = ['none', 'hardware', 'software'] as const;
export const PROFILES = ['generic', 'huawei', 'zte', 'quectel', 'simcom', 'sierra', 'wavecom', 'dinstar'] as const;
export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] as const;

export function settingsFormOf(s: PortSettings): SettingsForm {
  return {
    device: s.device,
    baud: s.baud === null || s.baud === undefined ? '' : String(s.baud),
    flow_control: s.flow_control ?? 'none',
    profile: s.profile ?? 'generic',
    pin: '',
    clearPin: false,
    smsc: s.smsc ?? '',
    text_mode: s.text_mode,
  };
}

/**
 * The changed fields as the API takes them: the baud as a number (a non-number is sent as typed,
 * so the gateway names the field), an emptied SMSC as null (the SIM's own), a PIN only when one
 * was typed, null when its removal was asked.
 */
export function settingsPatchOf(before: SettingsForm, after: SettingsForm): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const device = after.device.trim();
  if (device !== before.device.trim()) out.device = device;
  const baud = after.baud.trim();
  if (baud !== before.baud.trim()) out.baud = /^\d+$/.test(baud) ? Number(baud) : baud;
  if (after.flow_control !== before.flow_control) out.flow_control = after.flow_control;
  if (after.profile !== before.profile) out.profile = after.profile;
  if (after.clearPin) out.pin = null;
  else if (after.pin.trim() !== '') out.pin = after.pin.trim();
  const smsc = after.smsc.trim();
  if (smsc !== before.smsc.trim()) out.smsc = smsc === '' ? null : smsc;
  if (after.text_mode !== before.text_mode) out.text_mode = after.text_mode;
  return out;
}
