"""Safe engine rollout: gates and bucketing, the shadow router, paired outputs, the ramp guard."""
