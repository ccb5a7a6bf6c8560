"""Several step hooks as one (heat pipes and pumped loops in the same case)."""
from __future__ import annotations


class StepHooks:
    """``before_step`` of each in turn; ``after_step`` asks every hook (each may change the run
    state) and the step is solved again if any did."""

    def __init__(self, hooks):
        self.hooks = [h for h in hooks if h is not None]

    def before_step(self, state, t_k, h_s: float = 0.0) -> None:
        for hook in self.hooks:
            hook.before_step(state, t_k, h_s)

    def after_step(self, state, t_k) -> bool:
        changed = [hook.after_step(state, t_k) for hook in self.hooks]
        return any(changed)


def combined(hooks):
    """None, the one hook, or a StepHooks of several."""
    hooks = [h for h in hooks if h is not None]
    if not hooks:
        return None
    return hooks[0] if len(hooks) == 1 else StepHooks(hooks)
