/**
 * STAND-IN for the Events API's envelope (test/support only): an event as Slack wraps it
 * (docs.slack.dev/apis/events-api, "Callback field overview"): `{token, team_id, api_app_id, event,
 * type: "event_callback", event_id, event_time, authorizations, is_ext_shared_channel, event_context}`.
 * Delivered as a signed JSON POST (HTTP mode) or an `events_api` envelope (Socket Mode) by server.ts.
 */
import type { SlackState } from './state.js';

export function eventCallback(state: SlackState, event: Record<string, unknown>): Record<string, unknown> {
  const t = Math.floor(Date.now() / 1000);
  return {
    token: 'deprecated-verification-token',
    team_id: state.teamId,
    api_app_id: state.appId,
    event,
    type: 'event_callback',
    event_id: `Ev0${state.nextTs().replace('.', '')}`,
    event_time: t,
    authorizations: [
      {
        enterprise_id: null,
        team_id: state.teamId,
        user_id: state.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: `4-emulator-${t}`,
  };
}
