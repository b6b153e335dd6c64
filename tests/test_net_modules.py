"""The torch pieces of sklearn_lt.net as library objects.

NormedLinear and MLPModule's heads, the CIFAR ResNet and its augmentation,
weight_normalised and the DeferredReweighting callback.
"""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from _net import RecordWeights, small_data, small_net  # noqa: E402
from _tolerance import EPS32  # noqa: E402
from skorch import NeuralNetClassifier  # noqa: E402

from sklearn_lt.net import (  # noqa: E402
    CifarResNet,
    DeferredReweighting,
    MLPModule,
    NormedLinear,
    random_crop_flip,
    weight_normalised,
)

_data = small_data


def _net(**params):
    return small_net(**{"max_epochs": 3, **params})


def _effective_number_weights(counts, beta):
    # Cui et al. (2019): (1 - beta) / (1 - beta ** n_y), normalised to sum to C.
    weights = (1 - beta) / (1 - beta**counts)
    return weights * counts.size / weights.sum()


# --- NormedLinear and the heads ---------------------------------------------------


def test_normed_linear_gives_the_cosines_of_features_and_class_weights():
    torch.manual_seed(0)
    head = NormedLinear(64, 5)
    x = torch.randn(8, 64) * torch.logspace(-3, 3, 8).view(8, 1)

    logits = head(x).detach().numpy()

    X = x.numpy().astype(np.float64)
    W = head.weight.detach().numpy().astype(np.float64)
    expected = (X / np.linalg.norm(X, axis=1, keepdims=True)) @ (
        W / np.linalg.norm(W, axis=1, keepdims=True)
    ).T
    # Cosines of 64-d float32 vectors: each normalisation and the dot product round
    # by about (64 + 6) eps32 / 2 at most, whatever the scale of x: 64 eps32.
    assert_allclose(logits, expected, rtol=0, atol=64 * EPS32)
    assert np.abs(logits).max() <= 1 + 64 * EPS32
    assert head.weight.shape == (5, 64)  # torch.nn.Linear's layout
    assert [name for name, _ in head.named_parameters()] == ["weight"]  # no bias


def test_normed_linear_starts_with_unit_class_vectors_from_a_uniform_draw():
    torch.manual_seed(0)
    weight = NormedLinear(32, 10).weight.detach().numpy().astype(np.float64)
    # Unit rows in float32: the norm of a 32-d float32 unit vector is 1 within a
    # few eps32 (rtol 1e-6 is 8 eps32).
    assert_allclose(np.linalg.norm(weight, axis=1), 1.0, rtol=1e-6)
    # Cao et al.'s draw: uniform in [-1, 1] per entry, then each row rescaled, so
    # the signs are balanced and every entry is below 1 in magnitude.
    assert np.abs(weight).max() < 1
    assert 0.4 < np.mean(weight > 0) < 0.6  # 320 fair signs: SE 0.028, 3.6 SE


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_normed_linear_refuses_sizes_that_are_not_positive_ints(size):
    with pytest.raises(ValueError, match="NormedLinear's in_features must be a pos"):
        NormedLinear(size, 3)


def test_mlp_head_option_puts_a_normed_linear_classifier():
    module = MLPModule(n_features=4, n_classes=3, head="normed").eval()
    assert isinstance(module.classifier, NormedLinear)
    assert module.classifier.weight.shape == (3, 64)
    logits = module(torch.randn(20, 4) * 100).detach()
    assert logits.abs().max() <= 1 + 64 * EPS32  # cosines, as above
    with pytest.raises(ValueError, match=r"head must be one of \['linear', 'normed'\]"):
        MLPModule(n_features=4, n_classes=3, head="cosine")


def test_mlp_default_head_is_the_linear_layer_it_always_was():
    # The same draws in the same order as before the head option: a seeded
    # MLPModule equals hidden and output layers built by hand with that seed.
    torch.manual_seed(0)
    module = MLPModule(n_features=4, n_classes=3, hidden_units=(8,))
    torch.manual_seed(0)
    hidden, last = torch.nn.Linear(4, 8), torch.nn.Linear(8, 3)
    assert type(module.classifier) is torch.nn.Linear
    for mine, theirs in zip(
        module.parameters(), [*hidden.parameters(), *last.parameters()], strict=True
    ):
        assert torch.equal(mine, theirs)


# --- CIFAR ResNet ------------------------------------------------------------------


def _resnet_parameters(n_classes, blocks=5, widths=(16, 32, 64)):
    """Parameters of a CIFAR ResNet with option-A shortcuts, counted by hand."""
    total = 3 * widths[0] * 9 + 2 * widths[0]  # stem: conv and batch norm
    channels = widths[0]
    for width in widths:
        for _ in range(blocks):
            total += channels * width * 9 + 2 * width  # conv1, bn1
            total += width * width * 9 + 2 * width  # conv2, bn2
            channels = width
    return total + channels * n_classes + n_classes


@pytest.mark.parametrize("n_classes", [10, 100])
def test_resnet32_has_32_layers_and_its_parameter_count(n_classes):
    module = CifarResNet(n_classes)
    weighted = [
        m for m in module.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)
    ]
    n_parameters = sum(p.numel() for p in module.parameters())

    assert len(weighted) == 32
    assert isinstance(weighted[-1], torch.nn.Linear)
    assert module.classifier is weighted[-1]
    assert n_parameters == _resnet_parameters(n_classes)
    if n_classes == 10:
        assert round(n_parameters / 1e6, 2) == 0.46  # He et al.'s 0.46M

    module.eval()
    rows = torch.randint(0, 256, (3, 3072)).float()
    assert module(rows).shape == (3, n_classes)
    # The rows are reshaped to these very images (a view, same memory) inside: the
    # same float32 computation on the same input, so bitwise equal.
    assert_array_equal(
        module(rows.reshape(3, 3, 32, 32)).detach(), module(rows).detach()
    )


def test_resnet_rejects_inputs_that_are_not_cifar_images():
    module = CifarResNet(10)
    with pytest.raises(ValueError, match=r"\(n, 3072\).*got shape \(2, 100\)"):
        module(torch.zeros(2, 100))


def test_normed_head_gives_cosines_with_one_weight_row_per_class():
    module = CifarResNet(10, blocks_per_stage=1, head="normed")
    module.eval()

    logits = module(torch.randint(0, 256, (4, 3072)).float()).detach()

    assert module.classifier.weight.shape == (10, 64)
    assert logits.shape == (4, 10)
    # Dot products of 64-d float32 unit vectors: |cos| rounds above 1 by at most
    # ~(64 + 6) eps32 / 2 < 64 eps32 (7.6e-6), however close to parallel they are.
    assert logits.abs().max() <= 1 + 64 * EPS32


def _crops_and_flips(image, padding=4):
    """Every crop of the zero-padded image (channels, 32, 32), and its mirror."""
    padded = np.pad(image, ((0, 0), (padding, padding), (padding, padding)))
    size = image.shape[-1]
    crops = [
        padded[:, top : top + size, left : left + size]
        for top in range(2 * padding + 1)
        for left in range(2 * padding + 1)
    ]
    return np.stack(crops + [crop[:, :, ::-1] for crop in crops])


def test_augmentation_only_in_training_mode():
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)
    module = CifarResNet(10, blocks_per_stage=1, mean=mean, std=std)
    torch.manual_seed(0)
    rows = torch.randint(0, 256, (16, 3072)).float()
    images = rows.numpy().reshape(16, 3, 32, 32)
    mean_ = np.array(mean).reshape(1, 3, 1, 1)
    std_ = np.array(std).reshape(1, 3, 1, 1)

    module.eval()
    plain = module.preprocess(rows).numpy()
    # float32 (x / 255 - mean) / std with x / 255, mean <= 1 and std >= 0.2: near 0
    # the rounding is <= (1 + 0.6) * eps32 / 2 / 0.2 = 5e-7 absolute, beyond it a
    # few eps32 relative (rtol 1e-5 is 84 eps32).
    assert_allclose(plain, (images / 255 - mean_) / std_, rtol=1e-5, atol=1e-6)
    assert_array_equal(module(rows).detach(), module(rows).detach())

    module.train()
    augmented = module.preprocess(rows).numpy()
    pixels = (augmented * std_ + mean_) * 255  # undo the normalisation
    for image, out in zip(images, pixels, strict=True):
        candidates = _crops_and_flips(image)
        distance = np.abs(candidates - out).reshape(len(candidates), -1).max(axis=1)
        # One crop (maybe mirrored) of the padded image: undoing the float32
        # normalisation of pixels <= 255 rounds by ~255 * 4 eps32 = 1e-4, while
        # another crop differs by whole pixel values.
        assert distance.min() < 1e-3
    assert not np.allclose(augmented, plain)


def test_random_crop_flip_uses_every_offset_and_both_orientations():
    torch.manual_seed(0)
    # A ramp: the value at the output's corner tells the crop offset and the flip.
    ramp = torch.arange(1.0, 33.0).expand(32, 32).reshape(1, 1, 32, 32)
    out = random_crop_flip(ramp.expand(2000, 1, 32, 32), padding=4)

    # Row 4 and columns 4 to 27 of a crop lie inside the image whatever the offset;
    # unflipped, column j of the crop is column j + left - 4 of the image.
    row = out[:, 0, 4, :]
    flipped = row[:, 4] > row[:, 27]
    assert 0.4 < flipped.float().mean() < 0.6  # 2,000 fair coins: SE 0.011, 9 SE
    left = row[~flipped, 16].long() - 1 - 16 + 4
    assert_array_equal(torch.unique(left).numpy(), np.arange(9))
    left_of_flipped = row[flipped, 15].long() - 1 - 16 + 4
    assert_array_equal(torch.unique(left_of_flipped).numpy(), np.arange(9))


# --- weight_normalised --------------------------------------------------------------


def test_weight_normalised_scores_with_tau_normed_weights_and_no_bias():
    torch.manual_seed(0)
    module = MLPModule(n_features=6, n_classes=3).eval()
    X, _ = _data()
    x = torch.as_tensor(X)
    features = module.features(x).detach().numpy().astype(np.float64)
    W = module.classifier.weight.detach().numpy().astype(np.float64)
    b = module.classifier.bias.detach().numpy().astype(np.float64)
    for tau in (0.0, 0.5, 1.0, 2.0):
        with torch.no_grad(), weight_normalised(module, "classifier", tau) as layer:
            logits = module(x).numpy()
        assert layer is module.classifier
        # Kang et al. (2020): features @ (W / ||W||^tau).T, the bias dropped.
        expected = features @ (W / np.linalg.norm(W, axis=1, keepdims=True) ** tau).T
        # float32 sums of 64 products (and a float32 norm): a few eps32 times the
        # size of the summed terms, below 1e-5 on this data; rtol 1e-4 on top.
        assert_allclose(logits, expected, rtol=1e-4, atol=1e-5)
    # The trained weight and bias are back, bit for bit.
    assert_array_equal(module.classifier.weight.detach().numpy(), W)
    assert_array_equal(module.classifier.bias.detach().numpy(), b)


def test_weight_normalised_restores_the_weights_when_the_block_raises():
    module = MLPModule(n_features=6, n_classes=3)
    before = [p.detach().clone() for p in module.classifier.parameters()]
    with pytest.raises(RuntimeError, match="boom"), weight_normalised(module):
        raise RuntimeError("boom")
    for old, new in zip(before, module.classifier.parameters(), strict=True):
        assert torch.equal(old, new)


def test_weight_normalised_leaves_a_normed_head_as_it_is():
    # NormedLinear normalises its rows itself: tau-norm cannot change its cosines.
    module = MLPModule(n_features=6, n_classes=3, head="normed").eval()
    x = torch.as_tensor(_data()[0])
    with torch.no_grad():
        plain = module(x)
        with weight_normalised(module, "classifier", tau=1.0):
            normed = module(x)
    # Rows divided by their norm, then normalised again: the same unit rows up to
    # a float32 rounding or two of each entry; cosines move by a few eps32.
    assert_allclose(normed.numpy(), plain.numpy(), rtol=0, atol=16 * EPS32)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"layer": "head"}, r"layer='head' names no submodule of MLPModule"),
        ({"layer": "features"}, r"layer='features' must be a linear layer"),
        ({"tau": -1.0}, r"The 'tau' parameter of weight_normalised must be"),
        ({"tau": float("nan")}, r"The 'tau' parameter of weight_normalised must be"),
        ({"layer": 3}, r"The 'layer' parameter of weight_normalised must be"),
    ],
)
def test_weight_normalised_refuses_bad_layers_and_taus(kwargs, match):
    module = MLPModule(n_features=6, n_classes=3)
    weight = module.classifier.weight.detach().clone()
    with pytest.raises(ValueError, match=match), weight_normalised(module, **kwargs):
        pass
    assert torch.equal(module.classifier.weight, weight)


# --- DeferredReweighting ------------------------------------------------------------


def _drw_net(epoch, recorder, **params):
    drw = ("drw", DeferredReweighting(epoch, **params.pop("drw", {})))
    return _net(loss="ldam", callbacks=[drw, ("record", recorder)], **params)


def test_deferred_reweighting_uses_its_beta():
    X, y = _data()
    recorder = RecordWeights()
    _drw_net(1, recorder, drw={"beta": 0.99}).fit(X, y)
    assert recorder.seen[0] is None
    expected = _effective_number_weights(np.bincount(y), 0.99)
    # float32 buffer of float64 weights: rtol 1e-6 is a few float32 ulps.
    assert_allclose(recorder.seen[1], expected, rtol=1e-6)
    assert_allclose(recorder.seen[2], expected, rtol=1e-6)


@pytest.mark.parametrize("method", ["warm_start", "partial_fit"])
def test_deferred_reweighting_counts_epochs_over_the_whole_history(method):
    X, y = _data()
    recorder = RecordWeights()
    net = _drw_net(3, recorder, max_epochs=2, warm_start=method == "warm_start")
    train = net.fit if method == "warm_start" else net.partial_fit
    train(X, y)
    assert recorder.seen == [None, None]
    train(X, y)  # epochs 3 and 4 of the history: unweighted, then weighted
    assert len(net.history) == 4
    assert recorder.seen[2] is None
    expected = _effective_number_weights(np.bincount(y), 0.9999)
    # float32 buffer: rtol 1e-6 is a few ulps.
    assert_allclose(recorder.seen[3], expected, rtol=1e-6)
    train(X, y)  # a warm start past the epoch trains weighted from its first epoch
    assert_allclose(recorder.seen[4], expected, rtol=1e-6)


def test_deferred_reweighting_of_a_new_fit_starts_unweighted():
    X, y = _data()
    recorder = RecordWeights()
    net = _drw_net(1, recorder, max_epochs=2).fit(X, y)
    assert recorder.seen[1] is not None
    net.fit(X, y)  # warm_start=False: new module, criterion, history, callbacks
    assert len(recorder.seen) == 2  # the recorder was initialised anew, too
    assert recorder.seen[0] is None and recorder.seen[1] is not None


def test_deferred_reweighting_epoch_is_a_callback_parameter():
    X, y = _data()
    recorder = RecordWeights()
    net = _drw_net(5, recorder).set_params(callbacks__drw__epoch=1)
    net.fit(X, y)
    assert recorder.seen[0] is None and recorder.seen[1] is not None
    restored = pickle.loads(pickle.dumps(net))
    assert dict(restored.callbacks_)["drw"].epoch == 1
    assert_array_equal(restored.predict(X), net.predict(X))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"epoch": -1}, "'epoch' parameter of DeferredReweighting .* Got -1"),
        ({"epoch": True}, "'epoch' parameter of DeferredReweighting .* Got True"),
        ({"epoch": 1.5}, "'epoch' parameter of DeferredReweighting .* Got 1.5"),
        ({"epoch": 1, "beta": 1.0}, "'beta' parameter of DeferredReweighting"),
    ],
)
def test_deferred_reweighting_refuses_bad_parameters_before_training(params, match):
    X, y = _data()
    net = _net(callbacks=[("drw", DeferredReweighting(**params))])
    with pytest.raises(ValueError, match=match) as info:
        net.fit(X, y)
    assert type(info.value).__name__ == "InvalidParameterError"
    assert not net.initialized_


class _NoWeightsLoss(torch.nn.Module):
    """A loss without set_class_weight."""

    def forward(self, logits, target):
        return torch.nn.functional.cross_entropy(logits, target)


def test_deferred_reweighting_needs_a_loss_that_takes_class_weights():
    X, y = _data()
    net = _net(loss=_NoWeightsLoss, callbacks=[("drw", DeferredReweighting(1))])
    with pytest.raises(TypeError, match="_NoWeightsLoss does not have; use a loss"):
        net.fit(X, y)
    assert len(net.history) == 0  # refused before the first epoch


def test_deferred_reweighting_needs_the_class_counts_of_logit_adjusted_net():
    X, y = _data()
    net = NeuralNetClassifier(
        MLPModule,
        module__n_features=6,
        module__n_classes=3,
        max_epochs=2,
        train_split=None,
        verbose=0,
        callbacks=[("drw", DeferredReweighting(1))],
    )
    with pytest.raises(TypeError, match="NeuralNetClassifier does not set; use it"):
        net.fit(X, y)
