import type { ComponentChildren } from 'preact';
import type { HistoryRecord, Row, Series } from '../history-summary.js';
import { shortDate } from '../fhir-text.js';
import type { Notice } from '../../notices/notices.js';
import { ApiAccessSection, type CredentialView } from './api-access.js';
import type { ConnectedAppView } from './connected-apps.js';
import { NoticeBanners } from './controls-pages.js';
import { PortalPage } from './portal-layout.js';
import { TrendChart } from './trend-chart.js';

const SECTIONS = [
  ['allergies', 'Allergies'],
  ['problems', 'Problems'],
  ['medications', 'Medications'],
  ['immunizations', 'Immunizations'],
  ['vitals', 'Vital signs'],
  ['labs', 'Lab results'],
  ['visits', 'Visits'],
  ['documents', 'Documents'],
  ['fhir-api-access', 'FHIR API Access'],
] as const;

/** Seed step 3: My History — the patient's record in readable sections, and FHIR API Access. */
export function HistoryPage(props: {
  csrf: string; who: string; record: HistoryRecord; credentials: CredentialView[]; publicUrl: string; toast?: string; notices?: Notice[]; apps?: ConnectedAppView[];
}) {
  const r = props.record;
  return (
    <PortalPage title="My History" csrf={props.csrf} who={props.who} current="history" toast={props.toast}>
      <h1>My History</h1>
      <NoticeBanners csrf={props.csrf} notices={props.notices ?? []} />
      {r.patient && (
        <p class="muted">
          {r.patient.name ?? 'Patient'}
          {r.patient.birthDate && ` · born ${r.patient.birthDate}`}
          {r.patient.gender && ` · ${r.patient.gender}`}
        </p>
      )}
      <nav aria-label="Sections of My History">
        <ul class="section-nav">
          {SECTIONS.map(([id, label]) => (
            <li>
              <a href={`#${id}`}>{label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="grid">
        <RowSection id="allergies" title="Allergies" rows={r.allergies} empty="No known allergies recorded." />
        <RowSection id="problems" title="Problems" rows={r.problems} empty="No problems recorded." />
        <RowSection id="medications" title="Medications" rows={r.medications} empty="No medications recorded." />
        <RowSection id="immunizations" title="Immunizations" rows={r.immunizations} empty="No immunizations recorded." />
      </div>
      <SeriesSection id="vitals" title="Vital signs" series={r.vitals} empty="No vital signs recorded." />
      <SeriesSection id="labs" title="Lab results" series={r.labs} empty="No lab results recorded." />
      <RowSection id="visits" title="Visits" rows={r.visits} empty="No visits recorded." limit={50} />
      <RowSection id="documents" title="Documents" rows={r.documents} empty="No documents recorded." limit={50} />
      <ApiAccessSection csrf={props.csrf} items={props.credentials} publicUrl={props.publicUrl} apps={props.apps} />
    </PortalPage>
  );
}

function Section(props: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="card" id={props.id} aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      {props.children}
    </section>
  );
}

function RowSection(props: { id: string; title: string; rows: Row[]; empty: string; limit?: number }) {
  const rows = props.rows.slice(0, props.limit ?? 100);
  return (
    <Section id={props.id} title={props.title}>
      {rows.length === 0 ? (
        <p class="empty">{props.empty}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">Date</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr>
                  <td>
                    {row.title}
                    {row.sensitive && <SensitiveTag />}
                    {row.detail && <div class="muted">{row.detail}</div>}
                  </td>
                  <td>{shortDate(row.date)}</td>
                  <td>{row.status ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {props.rows.length > rows.length && <p class="muted">Showing the {rows.length} most recent of {props.rows.length}.</p>}
        </div>
      )}
    </Section>
  );
}

function SeriesSection(props: { id: string; title: string; series: Series[]; empty: string }) {
  return (
    <Section id={props.id} title={props.title}>
      {props.series.length === 0 ? (
        <p class="empty">{props.empty}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Measurement</th>
                <th scope="col">Latest</th>
                <th scope="col">Date</th>
                <th scope="col">Trend</th>
              </tr>
            </thead>
            <tbody>
              {props.series.slice(0, 60).map((s) => (
                <tr>
                  <td>
                    {s.title}
                    {s.sensitive && <SensitiveTag />}
                  </td>
                  <td class="num">{s.latest}</td>
                  <td>{shortDate(s.latestDate)}</td>
                  <td>{s.points.length >= 2 ? <TrendChart title={s.title} unit={s.unit} points={s.points} /> : <span class="muted">{s.count} result{s.count === 1 ? '' : 's'}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

/** The small tag on records labelled sensitive: the patient sees them; apps see them only if the patient chose so. */
function SensitiveTag() {
  return (
    <span class="tag sensitive" data-testid="sensitive-tag" title="Sensitive: shared with apps only if you choose so when generating credentials">
      {' '}sensitive
    </span>
  );
}
