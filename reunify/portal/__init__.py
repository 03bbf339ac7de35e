"""What family members and legal parties see: invitations into the portal, and the portal
pages themselves: their own profile and schedule, their modules, and whatever a release or
court order lets a legal party see (every such view logged as a disclosure)."""
