import type { GroupSummary } from '../../bulk/groups.js';
import { Alert, PostForm } from '../../web/components.js';
import { formatDate } from '../../web/render.js';
import { AdminPage } from './admin-layout.js';

/** Groups of patients for Bulk Data export (`GET /fhir/Group/{id}/$export`), and a form to make one. */
export function GroupsPage(props: {
  csrf: string;
  who: string;
  groups: GroupSummary[];
  exportBase: string;
  created?: string;
  error?: string;
  form?: { name: string; patients: string; all: boolean };
}) {
  return (
    <AdminPage title="Groups" csrf={props.csrf} who={props.who} current="groups">
      <h1>Groups</h1>
      <p>
        A group is a list of patients that a practice system can export in bulk with <code>GET {props.exportBase}/Group/&lt;id&gt;/$export</code>.
      </p>
      {props.created && <Alert kind="success">{`Group created: ${props.created}`}</Alert>}
      {props.error && <Alert>{props.error}</Alert>}
      <section class="card" aria-labelledby="groups-title">
        <h2 id="groups-title">
          {props.groups.length} group{props.groups.length === 1 ? '' : 's'}
        </h2>
        {props.groups.length > 0 && (
          <div class="table-wrap">
            <table data-testid="groups">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Id</th>
                  <th scope="col">Patients</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {props.groups.map((g) => (
                  <tr>
                    <td>{g.name}</td>
                    <td>
                      <code>{g.id}</code>
                    </td>
                    <td>{g.members}</td>
                    <td>{formatDate(g.lastUpdated)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <PostForm action="/admin/groups" csrf={props.csrf} class="card stack" label="New group">
        <h2>New group</h2>
        <div class="field">
          <label for="group-name">Name</label>
          <input id="group-name" name="name" type="text" required maxLength={200} value={props.form?.name ?? ''} />
        </div>
        <div class="field">
          <label for="group-patients">Patients, one per line (resource id or system|value identifier)</label>
          <textarea id="group-patients" name="patients" rows={5} maxLength={20000}>
            {props.form?.patients ?? ''}
          </textarea>
        </div>
        <div class="field">
          <label>
            <input type="checkbox" name="all" value="1" checked={props.form?.all ?? false} /> Every patient (as of now)
          </label>
        </div>
        <button type="submit" class="button primary">
          Create group
        </button>
      </PostForm>
    </AdminPage>
  );
}
