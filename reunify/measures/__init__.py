"""What makes the work succeed, tracked rather than assumed: treatment goals with baselines,
targets and ratings; each party's willingness; the support system's alignment; the child's
private check-ins; scored questionnaires; and the charts drawn from them."""
