"""Hand-off to people: when to escalate (policy), what the agent receives
(ticket), where tickets live (store), and the agent desk (desk/)."""
