//! Member roles and what each may do.

use serde::{Deserialize, Serialize};

/// A member's role in a household, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including settings and members.
    Owner,
    /// Everything but members and settings; may decide approvals and pay bills.
    Adult,
    /// Reads everything; creates and changes inventory, shopping, usage, schedule, receipts.
    Member,
    /// Reads only.
    Viewer,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Adult => "adult",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "owner" => Some(Role::Owner),
            "adult" => Some(Role::Adult),
            "member" => Some(Role::Member),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Role::Owner => 3,
            Role::Adult => 2,
            Role::Member => 1,
            Role::Viewer => 0,
        }
    }

    /// True when this role has at least the powers of `other`.
    pub fn at_least(&self, other: Role) -> bool {
        self.rank() >= other.rank()
    }

    /// Create and change everyday records (inventory, shopping, usage, schedule, receipts).
    pub fn can_write(&self) -> bool {
        self.at_least(Role::Member)
    }

    /// Decide approvals, pay bills, move money, change policy-adjacent records.
    pub fn can_manage_money(&self) -> bool {
        self.at_least(Role::Adult)
    }

    /// Household settings and members.
    pub fn can_administer(&self) -> bool {
        *self == Role::Owner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Owner.can_administer());
        assert!(!Role::Adult.can_administer());
        assert!(Role::Adult.can_manage_money());
        assert!(!Role::Member.can_manage_money());
        assert!(Role::Member.can_write());
        assert!(!Role::Viewer.can_write());
        for r in [Role::Owner, Role::Adult, Role::Member, Role::Viewer] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
