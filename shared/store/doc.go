// Package store keeps Guestbridge's data in one DynamoDB table and implements
// the storage interfaces of the domain packages.
//
// Item layout (PK / SK, and the sparse indexes where set):
//
//	organisation   ORG#<org>          META               Language, TimeZone (company settings; changed on the
//	                                                     condition that both are as read)
//	member         ORG#<org>          MEMBER#<user>      GSI1: USER#<user> / MEMBER#<org>
//	case           ORG#<org>          CASE#<case>
//	guest profile  ORG#<org>          GUEST#<guest>      Language of the guest's messages;
//	                                                     GSI1: USER#<user> / GUEST#<org> (case guest, once accepted)
//	                                                     GSI1: INVITEE#<email> / GUEST#<org> (company guest)
//	                                                     GSI2: GUESTS#ACTIVE / <validUntil>#<org>#<guest> (while active)
//	guest email    ORG#<org>          GUESTEMAIL#<email> (one guest per email and organisation)
//	grant          ORG#<org>          GRANT#<guest>      ttl = end of period (TTL cleans up; checks never rely on it)
//	custom role    ORG#<org>          ROLE#<role>
//	group          ORG#<org>          GROUP#<group>
//	device         ORG#<org>          DEVICE#<device>
//	audit entry    ORG#<org>          AUDIT#<time>#<id>
//	user           USER#<user>        PROFILE
//	email lookup   EMAIL#<email>      USER               (unique email per account; Unverified while held by an
//	                                                     account made from an SMS link, which the mailbox's owner can take)
//	email proof    EMAILVERIFY#<sha256(token)> INV       ttl = link expiry + 30 days; Used (and Declined) by conditional write
//	invitation     INV#<sha256(token)> INV               ttl = link expiry + 30 days
//	outbox message OUTBOX#<id>        OUTBOX             GSI2: OUTBOX#DUE / <nextAttemptAt>#<id> (while queued)
//	rate counter   RATE#<rule>#<key>  <window start>     ttl = window end; raised all-or-none per request (Limiter.Take)
//	relay task     RELAY              TASK#<task>        ttl = heartbeat + 60 s (written by the relay)
//	live session   SESSION#<session>  META               State live|ended (read by the relay's fallback check);
//	                                                     RecordCount bounds the record (conditional ADD)
//	participant    SESSION#<session>  PART#<participant> GSI1: PARTEMAIL#<org>#<email> (guests, customers) or
//	                                                     PARTUSER#<org>#<user> (technicians) / SESSION#<session> (until removed)
//	session link   SLINK#<sha256>     INV                ttl = link expiry + 30 days; Used by conditional write
//	session record SESSION#<session>  REC#<at>#<event id> a chat line or tool message, written with its event id
//	relay event id RELAYEVENT#<id>    META               ttl = a minute and a bit; put on condition it is new
//	case session   CASESESSIONS#<org>#<case> SESSION#<createdAt>#<session> (the case's reports)
//	attachment     ORG#<org>          ATTACH#<case>#<id>  a snapshot (pending until its upload is checked: State
//	                                                     pending→ready by conditional update; ttl while pending)
//	                                                     or a recording (id rec_<recording id>, put once)
//	recording start ORG#<org>         RECSTART#<recording id> put once with its audit entry
//	session notes  ORG#<org>          NOTES#<case>#<session> Text, Version (put on the condition of the version read)
//
// Access patterns:
//   - sign in: EMAIL# lookup, USER# profile, GSI1 queries of the user's memberships
//     (USER#) and of company invitations to their email (INVITEE#, also "Companies");
//   - every authenticated request: GetItems of the USER# profile (token
//     version) and of the member or grant item;
//   - invitation preview and accept: one GetItem of INV#; accept is one
//     TransactWriteItems (link, guest, account, grant, welcome message, audit);
//   - the guest list and cases: a Query of the organisation's partition by SK prefix;
//   - the sweep: GSI2 query of GUESTS#ACTIVE up to now (expired) and up to
//     now + reminder days (reminders);
//   - the sender: GSI2 query of OUTBOX#DUE up to now;
//   - a session's details: one Query of SESSION#<id>; placing a session: a
//     Query of RELAY; disconnecting an ended or switched-off guest: GSI1
//     PARTEMAIL#; closing a removed member's seats: GSI1 PARTUSER#;
//   - a case's session reports: a Query of CASESESSIONS#, then per session a
//     GetItem of its META and a Query of its partition (participants, record);
//   - a technician's pending live-session invitations (polled): GSI1 PARTUSER#;
//   - the primary's picker of technicians: a Query of the company's MEMBER# items;
//   - a case's attachments and notes: a Query of ORG#<org> by ATTACH#<case># and NOTES#<case>#.
package store
