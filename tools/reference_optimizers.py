"""Builders of reference optimizers that need help to run on one 2D point (torch imported
lazily). The optimizer table (``tests/optimizer_table.py``) names them in
``reference_class(path, via=...)``; each is called as ``via(cls, params, kwargs)``.

- `muon_matrix`: ``torch.optim.Muon`` only takes matrices; it runs on the point seen as a
  1 x 2 matrix (a float64 leaf tensor kept in step with the point). ``exact=True`` runs
  torch's own Newton-Schulz code in float64 (``Tensor.bfloat16`` patched to a float64 copy
  during the step), which is what we implement; ``exact=False`` is torch as shipped
  (bfloat16), to measure the difference.
- `quiet`: ``prodigyopt.Prodigy`` prints a line when its weight decay is decoupled.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any


def muon_matrix(cls: type, params: list[Any], kwargs: dict[str, Any], exact: bool = True) -> Any:
    """``cls`` (``torch.optim.Muon``) on the point ``params[0]`` (shape ``(2,)``) as a 1 x 2
    matrix."""
    import torch

    point = params[0]

    class MatrixMuon(cls):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            self.matrix = point.detach().clone().view(1, -1).requires_grad_(True)
            hp = {**kwargs, "ns_coefficients": tuple(kwargs["ns_coefficients"])}
            super().__init__([self.matrix], **hp)

        def step(self, closure: Any = None) -> Any:
            with torch.enable_grad():
                loss = closure() if closure is not None else None
            with torch.no_grad():
                self.matrix.copy_(point.view(1, -1))
            self.matrix.grad = point.grad.detach().view(1, -1).clone()
            with _float64_newton_schulz(torch) if exact else contextlib.nullcontext():
                super().step()
            with torch.no_grad():
                point.copy_(self.matrix.view(-1))
            return loss

    return MatrixMuon()


@contextlib.contextmanager
def _float64_newton_schulz(torch: Any) -> Any:
    """Make ``Tensor.bfloat16()`` return a float64 copy while the context is open."""
    torch.Tensor.bfloat16 = lambda self, *args, **kwargs: self.clone()
    try:
        yield
    finally:
        del torch.Tensor.bfloat16  # back to the inherited method


def quiet(cls: type, params: list[Any], kwargs: dict[str, Any]) -> Any:
    """``cls(params, **kwargs)`` with its stdout swallowed."""
    with contextlib.redirect_stdout(io.StringIO()):
        return cls(params, **kwargs)
