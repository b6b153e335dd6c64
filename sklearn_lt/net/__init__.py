"""``LogitAdjustedNet``: a skorch classifier trained with a long-tail loss; its parts.

Needs the ``torch`` extra (``pip install "sklearn-lt[torch]"``); with
:mod:`sklearn_lt.losses`, this is the only part of the package that imports torch
and skorch.

The rows of Menon et al. (2021)'s table are compositions of these parts:

- :class:`LogitAdjustedNet` (``_classifier.py``): the estimator; the loss is built
  from the class priors and counts of ``y``, the post-hoc adjustment is
  :class:`~sklearn_lt.LogitAdjustedClassifier`'s.
- :class:`MLPModule`, :class:`NormedLinear` (``_modules.py``): an MLP for tabular
  data and the normalised (cosine) classifier head of Cao et al. (2019).
- :class:`CifarResNet`, :func:`random_crop_flip` (``_resnet.py``): the CIFAR
  ResNet of He et al. (2016) and its augmentation.
- :class:`DeferredReweighting` (``_callbacks.py``): deferred re-weighting (Cao et
  al., 2019) as a skorch callback.
- :func:`weight_normalised` (``_weight_norm.py``): Kang et al. (2020)'s
  tau-normalised classifier, as a context manager.
"""

from ._callbacks import DeferredReweighting
from ._classifier import LOSSES, LogitAdjustedNet
from ._modules import MLPModule, NormedLinear
from ._resnet import CifarResNet, random_crop_flip
from ._weight_norm import weight_normalised

__all__ = [
    "LOSSES",
    "CifarResNet",
    "DeferredReweighting",
    "LogitAdjustedNet",
    "MLPModule",
    "NormedLinear",
    "random_crop_flip",
    "weight_normalised",
]

# The public objects say they live here: pickles, reprs and the API reference name
# this stable path rather than the private module that defines them.
for _name in __all__:
    _object = globals()[_name]
    if callable(_object):  # classes and functions; not the LOSSES tuple
        _object.__module__ = __name__
del _name, _object
