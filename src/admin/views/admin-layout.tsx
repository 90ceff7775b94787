import type { ComponentChildren } from 'preact';
import { Layout } from '../../web/layout.js';

export function AdminPage(props: { title: string; csrf: string; who: string; current?: 'patients' | 'apps' | 'groups' | 'audit' | 'settings'; toast?: string; children: ComponentChildren }) {
  return (
    <Layout
      title={props.title}
      area="admin"
      toast={props.toast}
      nav={[
        { href: '/admin/patients', label: 'Patients', current: props.current === 'patients' },
        { href: '/admin/apps', label: 'Apps', testId: 'nav-apps', current: props.current === 'apps' },
        { href: '/admin/groups', label: 'Groups', current: props.current === 'groups' },
        { href: '/admin/audit', label: 'Audit trail', current: props.current === 'audit' },
        { href: '/admin/settings', label: 'Settings', current: props.current === 'settings' },
      ]}
      signOut={{ action: '/admin/logout', csrf: props.csrf, who: props.who }}
    >
      {props.children}
    </Layout>
  );
}
