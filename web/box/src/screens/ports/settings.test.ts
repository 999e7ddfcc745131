import { ApiError } from '@smsgate/shared/api/client';
import { describe, expect, it } from 'vitest';
import type { PortSettings } from '../../api/box';
import { mergeLines, parseLinesEvent, type AtLine } from './atlog';
import { powerCycleProblem } from './Maintenance';
import { settingsFormOf, settingsPatchOf } from './settings';

const port: PortSettings = {
  id: 2,
  kind: 'serial',
  device: '/dev/ttyUSB2',
  baud: 115200,
  flow_control: 'none',
  profile: 'generic',
  pin_set: true,
  smsc: '+33609001390',
  text_mode: false,
  groups: ['demo'],
  editable: true,
  overridden: [],
};

describe('the port settings form', () => {
  it('starts from the settings as they run, with the PIN field empty even when a PIN is set', () => {
    const f = settingsFormOf(port);
    expect(f).toEqual({ device: '/dev/ttyUSB2', baud: '115200', flow_control: 'none', profile: 'generic', pin: '', clearPin: false, smsc: '+33609001390', text_mode: false });
  });

  it('sends nothing when nothing changed, the PIN included', () => {
    const f = settingsFormOf(port);
    expect(settingsPatchOf(f, { ...f })).toEqual({});
  });

  it('carries only the changed fields, the baud as a number', () => {
    const f = settingsFormOf(port);
    expect(settingsPatchOf(f, { ...f, baud: '9600', profile: 'quectel', text_mode: true, device: ' /dev/ttyACM0 ' })).toEqual({ baud: 9600, profile: 'quectel', text_mode: true, device: '/dev/ttyACM0' });
  });

  it('sends a baud that is not a number as typed, so the gateway names the field', () => {
    const f = settingsFormOf(port);
    expect(settingsPatchOf(f, { ...f, baud: 'fast' })).toEqual({ baud: 'fast' });
  });

  it('sends a typed PIN, and null when its removal is asked (removal wins over a typed PIN)', () => {
    const f = settingsFormOf(port);
    expect(settingsPatchOf(f, { ...f, pin: '4321' })).toEqual({ pin: '4321' });
    expect(settingsPatchOf(f, { ...f, pin: '4321', clearPin: true })).toEqual({ pin: null });
  });

  it('turns an emptied SMS centre into null (the SIM’s own)', () => {
    const f = settingsFormOf(port);
    expect(settingsPatchOf(f, { ...f, smsc: '  ' })).toEqual({ smsc: null });
  });
});

const line = (seq: number, text = `line ${seq}`): AtLine => ({ seq, at: '2026-12-02T17:00:00Z', kind: 'command', text });

describe('the AT log lines', () => {
  it('keeps each line once by sequence number, oldest first, when a reconnection sends them again', () => {
    const kept = mergeLines([], [line(1), line(2)]);
    expect(mergeLines(kept, [line(1), line(2), line(3)]).map((l) => l.seq)).toEqual([1, 2, 3]);
  });

  it('keeps only the newest lines past the bound', () => {
    const many = Array.from({ length: 10 }, (_, i) => line(i + 1));
    expect(mergeLines([], many, 4).map((l) => l.seq)).toEqual([7, 8, 9, 10]);
  });

  it('reads a lines event and refuses anything else', () => {
    expect(parseLinesEvent(JSON.stringify({ port: 1, lines: [line(5, 'AT+CPIN=********')] }))?.[0]?.text).toBe('AT+CPIN=********');
    expect(parseLinesEvent('not json')).toBeUndefined();
    expect(parseLinesEvent('{"port":1}')).toBeUndefined();
  });
});

describe('a power cycle refused', () => {
  it('says in plain words that no power control is wired, from the 409 no_power_control code', () => {
    const e = new ApiError(409, 'port 1: no power control is wired for this port', 'no_power_control');
    expect(powerCycleProblem(1, e)).toBe('Port 1 has no power control wired, so it cannot be power-cycled from here. Unplug the modem and plug it back, or wire its power control in gateway.toml.');
  });

  it('gives the gateway’s words for any other failure', () => {
    const e = new ApiError(409, 'port 1: power cycle failed: STATUS line did not go high within 30000 ms', 'conflict');
    expect(powerCycleProblem(1, e)).toBe('The power cycle of port 1 failed: port 1: power cycle failed: STATUS line did not go high within 30000 ms');
  });
});
