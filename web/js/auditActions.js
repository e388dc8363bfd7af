// Every action the audit log may hold, as shared/audit.Actions lists them
// (TestActionsMatchWeb keeps the two the same). The log and its filter show
// them in words, auditAction.<code> in the catalog; the values stay codes.
export const AUDIT_ACTIONS = [
  'case.created',
  'guest.invited',
  'guest.reinvited',
  'guest.accepted',
  'guest.declined',
  'guest.extended',
  'guest.changed',
  'guest.ended',
  'guest.expired',
  'guest.reminded',
  'guest.password_set',
  'session.started',
  'session.invited',
  'session.participant_joined',
  'session.participant_left',
  'session.tools_changed',
  'session.participant_removed',
  'session.ended',
  'device.command',
  'device.created',
  'device.updated',
  'device.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'member.role_changed',
  'member.removed',
  'role.created',
  'role.updated',
  'role.deleted',
  'org.settings_changed',
  'user.password_changed',
  'user.signed_out_everywhere',
  'user.email_reclaimed',
  'user.email_verification_declined',
  'message.failed',
];

// Actors that are not people, shown in words (auditActor.<id>).
export const SYSTEM_ACTORS = ['system', 'relay'];
