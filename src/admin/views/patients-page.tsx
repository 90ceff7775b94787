import type { PatientSummary } from '../patient-view.js';
import { AdminPage } from './admin-layout.js';

export interface PatientListItem {
  patient: PatientSummary;
  portal?: string;
}

export function PatientsPage(props: { csrf: string; who: string; q: { name: string; birthDate: string; identifier: string }; results?: PatientListItem[] }) {
  return (
    <AdminPage title="Patients" csrf={props.csrf} who={props.who} current="patients">
      <h1>Patients</h1>
      <form method="get" action="/admin/patients" class="card filters" role="search" aria-label="Find patients">
        <div class="field">
          <label for="q-name">Name</label>
          <input id="q-name" name="name" type="search" value={props.q.name} maxLength={100} />
        </div>
        <div class="field">
          <label for="q-birth">Birth date</label>
          <input id="q-birth" name="birthdate" type="text" value={props.q.birthDate} placeholder="YYYY-MM-DD" maxLength={10} />
        </div>
        <div class="field">
          <label for="q-ident">Identifier (MRN)</label>
          <input id="q-ident" name="identifier" type="search" value={props.q.identifier} maxLength={200} />
        </div>
        <button type="submit" class="button primary">
          Search
        </button>
      </form>
      {props.results && (
        <section class="card" aria-labelledby="results-title">
          <h2 id="results-title">
            {props.results.length} patient{props.results.length === 1 ? '' : 's'}
          </h2>
          {props.results.length > 0 && (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Birth date</th>
                    <th scope="col">Identifiers</th>
                    <th scope="col">Portal</th>
                  </tr>
                </thead>
                <tbody>
                  {props.results.map(({ patient, portal }) => (
                    <tr>
                      <td>
                        <a href={`/admin/patients/${encodeURIComponent(patient.id)}`}>{patient.name}</a>
                      </td>
                      <td>{patient.birthDate ?? ''}</td>
                      <td>{patient.identifiers.slice(0, 2).join('; ')}</td>
                      <td>{portal ?? 'not enabled'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
    </AdminPage>
  );
}
