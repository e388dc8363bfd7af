package access

import "github.com/guestbridge/guestbridge/shared/apperr"

// Privileges never grow sideways: whoever manages roles, members or guests
// can hand out only what they hold themselves, so roles.manage alone is not a
// way to become, or to make someone, more than its holder.

// ErrAdminRequired refuses making someone an admin, or changing or removing
// an admin, by anyone who is not an admin.
var ErrAdminRequired = apperr.New(apperr.Forbidden, "admin_required", "Only an admin can give the admin role or change or remove an admin.")

// NotHeld is the refusal naming the privilege the caller lacks.
func NotHeld(p Privilege) error {
	return apperr.New(apperr.Forbidden, "privilege_not_held",
		"You do not hold the privilege "+string(p)+", so you cannot give it or act on someone who holds it.")
}

// CanGive reports whether holder may hand out privs, as a role's content or
// to a person: only privileges the holder has.
func CanGive(holder *Principal, privs []Privilege) error {
	for _, p := range privs {
		if !holder.Has(p) {
			return NotHeld(p)
		}
	}
	return nil
}

// CanAssign reports whether holder may give someone the role roleID with
// privs: the admin role only from an admin, any other only within the
// holder's own privileges.
func CanAssign(holder *Principal, roleID string, privs []Privilege) error {
	if roleID == RoleAdmin && (holder == nil || holder.Role != RoleAdmin) {
		return ErrAdminRequired
	}
	return CanGive(holder, privs)
}

// CanActOnMember reports whether holder may change the role of, or remove, a
// member who holds roleID with privs: nobody acts on someone who holds more
// than they do, so a role manager cannot strip or remove an admin.
func CanActOnMember(holder *Principal, roleID string, privs []Privilege) error {
	return CanAssign(holder, roleID, privs)
}
