/** Care coordination: Goals, the assessment-and-plan CarePlan and the CareTeam. */
import type { PatientContext } from './context.js';
import { DAY, YEAR } from './dates.js';
import { cc, coding, xhtml } from './fhir.js';
import type { Staff } from './providers.js';
import type { Reference, Resource } from './types.js';

export interface ActiveProblem {
  readonly condition: Resource;
  readonly name: string;
  readonly goal: string;
  readonly since: number;
}

export function addGoals(ctx: PatientContext, problems: readonly ActiveProblem[]): Resource[] {
  const { rng, asOf } = ctx;
  return problems.map((p) => {
    const start = Math.max(p.since, asOf - rng.int(30, 700) * DAY);
    const achieved = !ctx.full && rng.chance(0.2);
    return ctx.add('Goal', 'us-core-goal', {
      lifecycleStatus: achieved ? 'completed' : 'active',
      achievementStatus: cc(achieved ? ['goalAchievement', 'achieved', 'Achieved'] : ['goalAchievement', rng.pick(['in-progress', 'improving'] as const), 'In Progress']),
      description: { text: p.goal },
      subject: ctx.subject,
      startDate: ctx.date(start),
      target: [{ dueDate: ctx.date(start + rng.int(90, 365) * DAY) }],
      statusDate: ctx.date(asOf - rng.int(1, 60) * DAY),
      expressedBy: ctx.pcp.ref,
      addresses: [ctx.refTo(p.condition)],
    });
  });
}

/** US Core CarePlan with the assess-plan category and a narrative (text.status + text.div). */
export function addCarePlan(ctx: PatientContext, problems: readonly ActiveProblem[], goals: readonly Resource[], careTeam: Resource | undefined, lastVisit: number): Resource {
  const lines = problems.length
    ? problems.map((p) => `${p.name}: ${p.goal}.`)
    : ['Routine preventive care; age-appropriate screening and immunizations.'];
  const text = `Assessment and plan (${ctx.date(lastVisit)}). ${lines.join(' ')}`;
  return ctx.add('CarePlan', 'us-core-careplan', {
    text: { status: 'generated', div: xhtml(text) },
    status: ctx.demo.deathMs !== undefined ? 'completed' : 'active',
    intent: 'plan',
    category: [{ coding: [coding('carePlanCat', 'assess-plan', 'Assessment and Plan of Treatment')], text: 'Assessment and Plan of Treatment' }],
    title: problems.length ? 'Chronic condition management' : 'Preventive care plan',
    subject: ctx.subject,
    period: { start: ctx.date(lastVisit), ...(ctx.demo.deathMs !== undefined ? { end: ctx.date(ctx.demo.deathMs) } : {}) },
    created: ctx.dateTime(lastVisit),
    author: ctx.pcp.ref,
    ...(careTeam ? { careTeam: [ctx.refTo(careTeam)] } : {}),
    ...(problems.length ? { addresses: problems.map((p) => ctx.refTo(p.condition)) } : {}),
    ...(goals.length ? { goal: goals.map((g) => ctx.refTo(g)) } : {}),
  });
}

const ROLE = {
  pcp: ['sct', '453231000124104', 'Primary care provider'],
  cardiologist: ['sct', '17561000', 'Cardiologist'],
  nurse: ['sct', '224535009', 'Registered nurse'],
  patient: ['sct', '116154003', 'Patient'],
  caregiver: ['sct', '133932002', 'Caregiver'],
} as const;

export function addCareTeam(ctx: PatientContext, related: Resource | undefined, specialists: readonly Staff[], since: number): Resource {
  const nurse = ctx.staff('nurse');
  const participant: unknown[] = [
    { role: [cc(ROLE.pcp)], member: ctx.pcp.roleRef, onBehalfOf: ctx.dir.practice.ref },
    { role: [cc(ROLE.nurse)], member: nurse.ref },
    { role: [cc(ROLE.patient)], member: ctx.subject },
  ];
  for (const s of specialists) participant.push({ role: [cc(ROLE.cardiologist)], member: s.roleRef });
  if (related) participant.push({ role: [cc(ROLE.caregiver)], member: ctx.refTo(related, ((related.name as Array<{ given: string[]; family: string }>)[0]).given[0]) });
  const dead = ctx.demo.deathMs !== undefined;
  return ctx.add('CareTeam', 'us-core-careteam', {
    status: dead ? 'inactive' : 'active',
    name: `${ctx.demo.display} care team`,
    subject: ctx.subject,
    period: { start: ctx.date(since), ...(dead ? { end: ctx.date(ctx.demo.deathMs!) } : {}) },
    participant,
    managingOrganization: [ctx.dir.practice.ref],
  });
}

/** Coverage (US Core Coverage): Medicare at 65+, Medicaid or a commercial plan otherwise. */
export function addCoverage(ctx: PatientContext, subscriber: Reference | undefined): Resource {
  const { rng, demo, dir, asOf } = ctx;
  const age = (asOf - demo.birthMs) / YEAR;
  const minor = age < 18;
  const kind = age >= 65 ? 'medicare' : rng.chance(0.2) ? 'medicaid' : 'commercial';
  const payer = kind === 'medicare' ? dir.payers.medicare : kind === 'medicaid' ? dir.payers.medicaid : rng.pick(dir.payers.commercial);
  const type = kind === 'medicare' ? cc(['sopt', '1', 'MEDICARE'])
    : kind === 'medicaid' ? cc(['sopt', '2', 'MEDICAID'])
    : cc(['sopt', '3712', 'PPO'], ['actCode', 'PPO', 'preferred provider organization policy']);
  const member = `${kind === 'medicare' ? '1EG4' : 'M'}${rng.digits(8)}`;
  const start = Math.max(demo.birthMs, asOf - rng.int(1, 6) * YEAR);
  const relationship = minor && subscriber ? ['child', 'Child'] : ['self', 'Self'];
  return ctx.add('Coverage', 'us-core-coverage', {
    identifier: [{ type: cc(['v20203', 'MB', 'Member Number']), system: 'https://chartkey.example/fhir/sid/member', value: member, assigner: payer.ref }],
    status: 'active',
    type,
    ...(relationship[0] === 'child' ? { subscriber } : { subscriber: ctx.subject }),
    subscriberId: member.slice(0, -2),
    beneficiary: ctx.subject,
    dependent: relationship[0] === 'child' ? '01' : '00',
    relationship: cc(['subRel', relationship[0], relationship[1]]),
    period: { start: ctx.date(start), ...(demo.deathMs !== undefined ? { end: ctx.date(demo.deathMs) } : {}) },
    payor: [payer.ref],
    class: [
      { type: cc(['covClass', 'group', 'Group']), value: `G${rng.digits(5)}`, name: kind === 'commercial' ? `${payer.name} Employer Group` : `${payer.name} Individual` },
      { type: cc(['covClass', 'plan', 'Plan']), value: kind === 'commercial' ? rng.pick(['gold', 'silver', 'bronze']) : kind, name: kind === 'medicare' ? 'Medicare Part B' : kind === 'medicaid' ? 'MassHealth Standard' : `${payer.name} PPO` },
    ],
  });
}
