// What callers say to a front desk that books, moves and cancels appointments: phrases built from
// templates and slot fillers (days, dates, times, digits, common names). A flow that defines no
// phrases of its own can restrict recognition to this domain; a flow's own example phrases are
// added to it. Kept generic on purpose: it describes the domain, not any test's sentences.

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth', 'eleventh', 'twelfth', 'thirteenth', 'fourteenth', 'fifteenth', 'sixteenth', 'seventeenth', 'eighteenth', 'nineteenth', 'twentieth', 'twenty first', 'twenty second', 'twenty third', 'twenty fourth', 'twenty fifth', 'twenty sixth', 'twenty seventh', 'twenty eighth', 'twenty ninth', 'thirtieth', 'thirty first'];
const HOURS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];
const MINUTES = ['fifteen', 'thirty', 'forty five', 'o five'];
const DIGITS = ['zero', 'oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const FIRST_NAMES = ['john', 'mary', 'james', 'sarah', 'david', 'emma', 'michael', 'anna', 'robert', 'lisa', 'peter', 'susan', 'paul', 'laura', 'mark', 'jane', 'tom', 'kate', 'chris', 'linda', 'daniel', 'maria', 'alex', 'sam'];
const LAST_NAMES = ['smith', 'jones', 'brown', 'taylor', 'williams', 'wilson', 'johnson', 'davies', 'miller', 'clark', 'walker', 'white', 'green', 'hall', 'wood', 'martin', 'lee', 'king', 'baker', 'moore'];
const SERVICES = ['an appointment', 'a consultation', 'a check up', 'a haircut', 'a cleaning', 'a visit', 'a meeting', 'a slot', 'a booking'];
const PARTS = ['morning', 'afternoon', 'evening'];

function times(): string[] {
  const out: string[] = [];
  for (const h of HOURS) {
    out.push(h, `${h} o'clock`, `${h} am`, `${h} pm`, `${h} in the morning`, `${h} in the afternoon`);
    for (const m of MINUTES) out.push(`${h} ${m}`);
    out.push(`half past ${h}`, `quarter past ${h}`, `quarter to ${h}`);
  }
  return out;
}

function dates(): string[] {
  const out = ['today', 'tomorrow', 'the day after tomorrow', 'this week', 'next week', 'this weekend'];
  for (const d of DAYS) out.push(d, `on ${d}`, `next ${d}`, `this ${d}`, `${d} ${PARTS[0]}`, `${d} ${PARTS[1]}`, `on ${d} ${PARTS[1]}`);
  for (const o of ORDINALS) out.push(`the ${o}`, `on the ${o}`);
  MONTHS.forEach((m, i) => {
    const o = ORDINALS[(i * 5) % ORDINALS.length];
    out.push(`the ${o} of ${m}`, `${m} ${o}`, `in ${m}`);
  });
  return out;
}

function digitStrings(): string[] {
  // Deterministic pseudo-random digit runs, so every digit follows every other one somewhere.
  const out: string[] = [];
  let seed = 7;
  for (let n = 0; n < 40; n++) {
    const run: string[] = [];
    for (let i = 0; i < 7 + (n % 5); i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      run.push(DIGITS[seed % DIGITS.length]);
    }
    out.push(run.join(' '));
  }
  return out;
}

const FIXED = [
  'i would like to book an appointment', 'i want to make an appointment', 'i need an appointment', 'can i book an appointment',
  'i would like to make a booking', 'i want to book', 'book me in please', 'can you book me in',
  'i need to reschedule my appointment', 'i want to change my appointment', 'can i change the time', 'can we move it',
  'i need to cancel my appointment', 'please cancel it', 'cancel the booking', 'i can not make it',
  'what are your opening hours', 'when are you open', 'what time do you close', 'what time do you open', 'are you open at the weekend',
  'yes', 'yes please', 'yeah', 'yes that is right', 'that is correct', 'sure', 'okay', 'ok', 'sounds good', 'perfect', 'great',
  'no', 'no thanks', 'no thank you', 'nope', 'not really', 'that is wrong', 'no that is not right', 'that is all', 'nothing else',
  'thank you', 'thanks', 'thank you very much', 'goodbye', 'bye', 'have a nice day',
  'hello', 'hi', 'good morning', 'good afternoon', 'hi there',
  'can you repeat that', 'sorry what did you say', 'say that again please', 'i did not catch that',
  'i would like to speak to a person', 'can i talk to someone', 'put me through to a human', 'i want to speak to the manager',
  'do you have anything earlier', 'do you have anything later', 'is there anything available', 'what times do you have',
  'what is available', 'when is the next free slot', 'the earliest possible', 'as soon as possible', 'any time is fine',
  'that works for me', 'that works', 'that is fine', 'that suits me', 'that time is good', 'that does not work for me',
  'let me check', 'hold on', 'one moment', 'just a second', 'i am not sure',
];

/** Phrases of the appointment-booking domain, lower-case words (numbers written out). */
export function bookingDomainPhrases(): string[] {
  const phrases = [...FIXED];
  const whenList = [...dates(), ...times()];
  for (const service of SERVICES) phrases.push(`i would like to book ${service}`, `i need ${service}`, `book me in for ${service}`, `can i get ${service}`);
  for (const date of dates()) {
    phrases.push(date, `can i come in ${date}`, `how about ${date}`, `what about ${date}`, `is ${date} possible`, `do you have anything ${date}`);
    phrases.push(`can i move it to ${date}`, `no i said ${date}`, `i meant ${date}`, `are you open ${date}`);
  }
  for (const time of times()) {
    phrases.push(time, `at ${time}`, `how about ${time}`, `can i come at ${time}`, `no i said ${time}`, `is ${time} free`);
  }
  for (let i = 0; i < whenList.length; i++) {
    const date = DAYS[i % DAYS.length];
    const time = times()[(i * 7) % times().length];
    phrases.push(`${date} at ${time}`, `next ${date} at ${time}`, `tomorrow at ${time}`, `on ${date} at ${time}`, `can i come in on ${date} at ${time}`, `how about ${date} at ${time}`);
  }
  for (const first of FIRST_NAMES) {
    for (const last of LAST_NAMES.slice(0, 6)) {
      const last2 = LAST_NAMES[(FIRST_NAMES.indexOf(first) + LAST_NAMES.indexOf(last) * 3) % LAST_NAMES.length];
      phrases.push(`my name is ${first} ${last2}`, `it is ${first} ${last2}`, `${first} ${last2}`, `the appointment is under ${first} ${last2}`, `this is ${first} ${last2}`);
    }
    phrases.push(`my name is ${first}`, `i am ${first}`);
  }
  for (const digits of digitStrings()) {
    phrases.push(digits, `my number is ${digits}`, `my phone number is ${digits}`, `it is ${digits}`);
  }
  return phrases;
}
