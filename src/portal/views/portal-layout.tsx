import type { ComponentChildren } from 'preact';
import { Layout } from '../../web/layout.js';

/** Layout of the signed-in portal: top menu with My History. */
export function PortalPage(props: { title: string; csrf: string; who: string; current?: 'history' | 'password'; toast?: string; children: ComponentChildren }) {
  return (
    <Layout
      title={props.title}
      area="portal"
      toast={props.toast}
      nav={[
        { href: '/portal/history', label: 'My History', testId: 'nav-my-history', current: props.current === 'history' },
        { href: '/portal/password', label: 'Change password', current: props.current === 'password' },
      ]}
      signOut={{ action: '/portal/logout', csrf: props.csrf, who: props.who }}
    >
      {props.children}
    </Layout>
  );
}
