import type { ComponentChildren } from 'preact';

export interface NavItem {
  href: string;
  label: string;
  testId?: string;
  current?: boolean;
}

export interface LayoutProps {
  title: string;
  /** 'portal' or 'admin': the product area named in the header. */
  area: string;
  nav?: NavItem[];
  /** CSRF token for the sign-out form; no sign-out button when absent. */
  signOut?: { action: string; csrf: string; who: string };
  /** A message shown as a toast at the bottom right (role=status). */
  toast?: string;
  children: ComponentChildren;
}

/** The page shell shared by portal and admin: skip link, header with top menu, main, toast region. */
export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ChartKey ${props.area}`}</title>
        <link rel="stylesheet" href="/assets/app.css" />
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <script src="/assets/app.js" defer></script>
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="top">
          <div class="top-inner">
            <span class="brand">
              <img src="/assets/favicon.svg" alt="" width="24" height="24" /> ChartKey <span class="area">{props.area}</span>
            </span>
            {props.nav && props.nav.length > 0 && (
              <nav aria-label="Main">
                <ul class="menu">
                  {props.nav.map((item) => (
                    <li>
                      <a href={item.href} data-testid={item.testId} aria-current={item.current ? 'page' : undefined}>
                        {item.label}
                      </a>
                    </li>
                  ))}
                </ul>
              </nav>
            )}
            {props.signOut && (
              <form method="post" action={props.signOut.action} class="signout">
                <input type="hidden" name="_csrf" value={props.signOut.csrf} />
                <span class="who">{props.signOut.who}</span>
                <button type="submit" class="link-button">
                  Sign out
                </button>
              </form>
            )}
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          {props.children}
        </main>
        <div class="toast-region" aria-live="polite">
          {props.toast && (
            <div class="toast" role="status" data-testid="toast">
              {props.toast}
            </div>
          )}
        </div>
      </body>
    </html>
  );
}
