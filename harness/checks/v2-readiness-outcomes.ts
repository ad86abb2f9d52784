/** etcd 3.5's --v2-deprecation levels, in the order etcd plans them (etcd --help). */
export const V2_LEVELS = ['not-yet', 'write-only', 'write-only-drop-data', 'gone'] as const;

/** What each v2 readiness line can say (checks/v2-readiness.ts); a scenario's `expect.v2Readiness` uses these. */
export const V2_OUTCOMES = {
  check: ['custom content found', 'no custom content found', 'members differ'],
  checkSees: [
    'sees the v2 data',
    'misses the v2 data',
    'no v2 data to see',
    'reports data the v2 API does not list',
    'members differ',
  ],
  start: ['starts with --enable-v2', 'refuses with --enable-v2, starts without', 'refuses'],
  read: ['returns the data', 'key missing', 'not served', 'not started'],
  write: ['accepted', 'refused', 'not served', 'not started'],
  snapshot: ['v2 data kept', 'v2 data dropped', 'not started'],
  restart: ['v2 data kept', 'v2 data dropped', 'v2 data partly kept', 'no v2 data', 'v2 keys appeared'],
  cleanup: ['check passes', 'check still fails', 'members differ'],
  afterCleanup: ['starts', 'refuses'],
} as const;
