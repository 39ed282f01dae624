"""Array-function projections, one module per family; importing this registers them
all in `numguard.projection.registry.FUNCTIONS` (see the registry for the contract)."""

from . import (  # noqa: F401 - each module registers its projections on import
    bounded,
    broadcasting,
    creation,
    delegated,
    elementwise,
    fft,
    histograms,
    joining,
    linalg,
    linalg_derived,
    nanfunctions,
    norms,
    passing,
    polynomials,
    products,
    quantiles,
    reductions,
    selection,
    sources,
    statistics,
)
