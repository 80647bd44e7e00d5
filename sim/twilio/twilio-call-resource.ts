// A call as Twilio's REST API returns it (2010-04-01 Call resource, snake_case, RFC 2822 dates),
// plus a `sim` object with what the simulated call did, which the real API has no field for.
import type { SimTwilioCall } from './twilio-sim.js';

export function callResource(call: SimTwilioCall): Record<string, unknown> {
  const uri = `/2010-04-01/Accounts/${call.accountSid}/Calls/${call.sid}.json`;
  const last = call.dialed.at(-1);
  return {
    account_sid: call.accountSid,
    annotation: null,
    answered_by: null,
    api_version: '2010-04-01',
    caller_name: null,
    date_created: rfc2822(call.dateCreated),
    date_updated: rfc2822(call.dateUpdated),
    direction: call.direction,
    duration: call.endTime ? String(call.durationS) : null,
    end_time: call.endTime ? rfc2822(call.endTime) : null,
    forwarded_from: null,
    from: call.from,
    from_formatted: call.from,
    group_sid: null,
    parent_call_sid: null,
    phone_number_sid: null,
    price: null,
    price_unit: 'USD',
    queue_time: '0',
    sid: call.sid,
    start_time: call.startTime ? rfc2822(call.startTime) : null,
    status: call.status,
    subresource_uris: {
      notifications: uri.replace('.json', '/Notifications.json'),
      recordings: uri.replace('.json', '/Recordings.json'),
      payments: uri.replace('.json', '/Payments.json'),
      events: uri.replace('.json', '/Events.json'),
      siprec: uri.replace('.json', '/Siprec.json'),
      streams: uri.replace('.json', '/Streams.json'),
      user_defined_message_subscriptions: uri.replace('.json', '/UserDefinedMessageSubscriptions.json'),
      user_defined_messages: uri.replace('.json', '/UserDefinedMessages.json'),
    },
    to: call.to,
    to_formatted: call.to,
    trunk_sid: null,
    uri,
    sim: {
      transferred_to: last?.target ?? null,
      dialed: call.dialed,
      said: call.said,
      played: call.played,
      errors: call.errors,
      streams: call.streams.length,
    },
  };
}

/** "Tue, 31 Aug 2010 20:36:28 +0000", as Twilio writes dates. */
function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}
