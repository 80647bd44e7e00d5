// Business refusals from the appointment store. Each carries a code the tools (and a flow's
// transitions) switch on; messages are for logs and never include a caller's name or phone.

export type AppointmentErrorCode =
  /** The time overlaps another booked appointment. */
  | 'slot_taken'
  /** The appointment would start or end outside opening hours. */
  | 'outside_hours'
  /** The time has already passed in the business's time zone. */
  | 'in_the_past'
  /** No appointment with that id. */
  | 'not_found'
  /** The appointment exists but was cancelled. */
  | 'not_booked'
  /** The appointment to move or cancel has already started (or taken place). */
  | 'already_started'
  /** A date/time string the store cannot read, or an impossible duration/name. */
  | 'invalid_input'
  /** The database file was created for another time zone; its wall-clock times would shift. */
  | 'time_zone_mismatch';

export class AppointmentError extends Error {
  readonly code: AppointmentErrorCode;
  /** For slot_taken: the id of the appointment in the way (not for the caller's ears). */
  readonly conflictId?: number;

  constructor(code: AppointmentErrorCode, message: string, details: { conflictId?: number } = {}) {
    super(message);
    this.name = 'AppointmentError';
    this.code = code;
    if (details.conflictId !== undefined) this.conflictId = details.conflictId;
  }
}

export function isAppointmentError(err: unknown, code?: AppointmentErrorCode): err is AppointmentError {
  return err instanceof AppointmentError && (code === undefined || err.code === code);
}
