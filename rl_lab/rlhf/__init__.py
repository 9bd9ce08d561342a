"""The RLHF toy: SFT, a reward model from rankings, PPO with a KL leash, best-of-n and DPO."""
