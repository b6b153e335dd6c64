"""Tests of benchmarks/cifar_lt.py: its CIFAR data path and one training step.

The script needs the real CIFAR files and a GPU for the paper's protocol; these tests
run its loader on pickles written here, its schedules (torch's schedulers against the
formula of the schedule written out here), one epoch of LogitAdjustedNet with the
library's ResNet-32 on tiny fake images, and ``main --fake`` end to end. The ResNet,
its head and augmentation are library objects, tested in test_net_modules.py.
"""

import pickle
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from _benchmarks import load_benchmark  # noqa: E402
from _tolerance import EPS64  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402

from sklearn_lt.net import CifarResNet, DeferredReweighting  # noqa: E402

cifar_lt = load_benchmark("cifar_lt")


@pytest.fixture
def one_torch_thread():
    """Train on one CPU thread: faster than two on a busy 2-core CI machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# dataset -> (folder, training files, test files, label key, classes)
LAYOUT = {
    "cifar10": (
        "cifar-10-batches-py",
        [f"data_batch_{i}" for i in range(1, 6)],
        ["test_batch"],
        b"labels",
        10,
    ),
    "cifar100": ("cifar-100-python", ["train"], ["test"], b"fine_labels", 100),
}


def _write_batches(root, dataset, n_per_file=6, seed=0):
    """Pickles in the CIFAR "python version" layout; returns the expected arrays."""
    folder_name, train_files, test_files, label_key, n_classes = LAYOUT[dataset]
    folder = root / folder_name
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    expected = {}
    for split, names in (("train", train_files), ("test", test_files)):
        images, labels = [], []
        for name in names:
            data = rng.integers(0, 256, size=(n_per_file, 3072), dtype=np.uint8)
            target = [int(v) for v in rng.integers(0, n_classes, size=n_per_file)]
            with open(folder / name, "wb") as handle:
                pickle.dump({b"data": data, label_key: target}, handle, protocol=2)
            images.append(data)
            labels += target
        expected[split] = (np.concatenate(images), np.array(labels))
    return folder, expected


# --- Data -----------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100"])
@pytest.mark.parametrize("point_at_folder", [False, True])
def test_load_cifar_reads_the_python_version_from_either_folder(
    tmp_path, dataset, point_at_folder
):
    folder, expected = _write_batches(tmp_path, dataset)
    data_dir = folder if point_at_folder else tmp_path

    X_train, y_train, X_test, y_test = cifar_lt.load_cifar(data_dir, dataset)

    n_train_files = len(LAYOUT[dataset][1])
    assert X_train.shape == (6 * n_train_files, 3072)
    assert X_test.shape == (6, 3072)
    assert X_train.dtype == X_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    # Files concatenated in order: data_batch_1 first, ..., as the real set is.
    assert_array_equal(X_train, expected["train"][0])
    assert_array_equal(y_train, expected["train"][1])
    assert_array_equal(X_test, expected["test"][0])
    assert_array_equal(y_test, expected["test"][1])


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100"])
def test_write_fake_cifar_gives_balanced_sets_the_loader_reads(tmp_path, dataset):
    folder = cifar_lt.write_fake_cifar(
        tmp_path, dataset, n_train_per_class=3, n_test_per_class=2
    )
    n_classes = LAYOUT[dataset][4]

    assert folder == tmp_path / LAYOUT[dataset][0]
    X_train, y_train, X_test, y_test = cifar_lt.load_cifar(tmp_path, dataset)
    assert X_train.shape == (3 * n_classes, 3072)
    assert_array_equal(np.bincount(y_train), np.full(n_classes, 3))
    assert_array_equal(np.bincount(y_test), np.full(n_classes, 2))


def test_missing_data_names_the_expected_file_and_where_to_download(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        cifar_lt.load_cifar(tmp_path, "cifar10")

    message = str(info.value)
    assert str(tmp_path / "cifar-10-batches-py" / "data_batch_1") in message
    assert "https://www.cs.toronto.edu/~kriz/cifar.html" in message
    assert "never downloads" in message


def test_missing_batch_file_is_named(tmp_path):
    folder, _ = _write_batches(tmp_path, "cifar10")
    (folder / "test_batch").unlink()

    with pytest.raises(FileNotFoundError, match="test_batch is missing"):
        cifar_lt.load_cifar(tmp_path, "cifar10")


def test_file_of_the_other_data_set_is_rejected_with_its_keys(tmp_path):
    folder, _ = _write_batches(tmp_path, "cifar10")
    with open(folder / "data_batch_2", "wb") as handle:
        pickle.dump(
            {b"data": np.zeros((2, 3072), np.uint8), b"fine_labels": [0, 1]}, handle
        )

    with pytest.raises(ValueError, match=r"b'labels'.*Check --dataset"):
        cifar_lt.load_cifar(tmp_path, "cifar10")


def test_labels_out_of_range_are_rejected(tmp_path):
    folder, _ = _write_batches(tmp_path, "cifar10")
    with open(folder / "test_batch", "wb") as handle:
        pickle.dump(
            {b"data": np.zeros((2, 3072), np.uint8), b"labels": [3, 10]}, handle
        )

    with pytest.raises(ValueError, match=r"labels must lie in \[0, 10\)"):
        cifar_lt.load_cifar(tmp_path, "cifar10")


def test_main_without_data_exits_with_the_download_hint(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        cifar_lt.main(["--data-dir", str(tmp_path), "--device", "cpu"])

    assert info.value.code == 2
    assert "https://www.cs.toronto.edu/~kriz/cifar.html" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--fake", "--epochs", "0"],
        ["--fake", "--batch-size", "-1"],
        ["--fake", "--imbalance-ratio", "0.5"],
        ["--fake", "--method", "focal"],
        ["--fake", "--lr", "inf"],
        ["--fake", "--device", "tpu0"],
        ["--fake", "--data-dir", "somewhere"],
        ["--dataset", "cifar10"],
    ],
)
def test_bad_arguments_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cifar_lt.parse_args(["--device", "cpu", *argv])

    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("dataset", "n_max", "n_train", "first_last"),
    [
        # The training-set sizes of Menon et al.'s reference code (utils.py).
        ("cifar10", 5000, 12406, (5000, 50)),
        ("cifar100", 500, 10847, (500, 5)),
    ],
)
def test_long_tailed_subsample_has_the_exponential_profile(
    dataset, n_max, n_train, first_last
):
    n_classes = LAYOUT[dataset][4]
    y = np.repeat(np.arange(n_classes), n_max)
    X = np.arange(y.size).reshape(-1, 1)

    X_lt, y_lt = cifar_lt.long_tailed_train_set(X, y, 100, seed=0)

    counts = np.bincount(y_lt, minlength=n_classes)
    # floor(n_max * 100^(-k / (C - 1))), with a tolerance for exact powers.
    k = np.arange(n_classes)
    expected = np.floor(n_max * 100.0 ** (-k / (n_classes - 1)) + 1e-6)
    assert_array_equal(counts, expected)
    assert counts.sum() == n_train
    assert (counts[0], counts[-1]) == first_last
    # Kept rows are distinct rows of the original set, with their own labels.
    assert np.unique(X_lt[:, 0]).size == y_lt.size
    assert_array_equal(y[X_lt[:, 0]], y_lt)


# --- Schedule and training ------------------------------------------------------------


def _multiplier(step, schedule, steps_per_epoch):
    """The schedules' learning-rate multiplier of batch ``step`` (0-based), as the
    script computed it before torch's schedulers: linear warm-up per batch, then the
    multiplier of the last decay epoch reached."""
    epoch = step / steps_per_epoch
    if epoch < schedule.warmup_epochs:
        return min(1.0, (step + 1) / (schedule.warmup_epochs * steps_per_epoch))
    multiplier = 1.0
    for start, mult in schedule.decays:
        if epoch >= start:
            multiplier = mult
    return multiplier


def _lrs(schedule, steps_per_epoch, base_lr=0.1):
    """The learning rate of every batch of the schedule, from torch's schedulers."""
    n_steps = schedule.epochs * steps_per_epoch
    scheduler = cifar_lt.lr_scheduler(schedule, steps_per_epoch)
    return scheduler.simulate(n_steps, base_lr) / base_lr


# A product of float64 factors over n steps (LinearLR's ramp multiplies the rate
# by a ratio at each of its steps, MultiStepLR by gamma at each milestone) drifts by
# at most about n eps64 from the closed form; 4 n eps64 leaves room.
def _rtol(n_steps):
    return 4 * n_steps * EPS64


def test_lr_multiplier_follows_cao_et_al_schedule():
    schedule = cifar_lt.SCHEDULES["cao"]["cifar10"]
    steps = 10
    lrs = _lrs(schedule, steps)

    def at(epoch, batch=0):
        return lrs[epoch * steps + batch]

    tol = _rtol(lrs.size)
    assert at(0) == pytest.approx(1 / 50, rel=tol)  # linear over 5 epochs of 10
    assert at(4, 9) == pytest.approx(1.0, rel=tol)
    assert [at(5), at(159, 9)] == pytest.approx([1.0, 1.0], rel=tol)
    assert [at(160), at(179, 9)] == pytest.approx([0.01, 0.01], rel=tol)
    assert [at(180), at(199, 9)] == pytest.approx([1e-4, 1e-4], rel=tol)
    assert schedule.drw_epoch == 160
    assert (schedule.epochs, schedule.nesterov) == (200, False)


@pytest.mark.parametrize(
    ("dataset", "epochs", "warmup", "decays"),
    [
        ("cifar10", 1241, 20, (604, 926, 1128)),
        ("cifar100", 1419, 22, (691, 1059, 1290)),
    ],
)
def test_lr_multiplier_follows_menon_et_al_reference_schedule(
    dataset, epochs, warmup, decays
):
    schedule = cifar_lt.SCHEDULES["menon"][dataset]
    lrs = _lrs(schedule, 1)

    def at(epoch):
        return lrs[epoch]

    tol = _rtol(lrs.size)
    assert schedule.epochs == epochs
    assert schedule.nesterov
    assert at(warmup // 2) == pytest.approx((warmup // 2 + 1) / warmup, rel=tol)
    assert at(warmup) == pytest.approx(1.0, rel=tol)
    assert [at(d - 1) for d in decays] == pytest.approx([1.0, 0.1, 0.01], rel=tol)
    assert [at(d) for d in decays] == pytest.approx([0.1, 0.01, 0.001], rel=tol)
    assert schedule.drw_epoch == decays[0]


@pytest.mark.parametrize(
    ("name", "dataset", "epochs", "steps_per_epoch"),
    [
        # The real runs: 12,406 (CIFAR-10-LT) and 10,847 (CIFAR-100-LT) images in
        # batches of 128 are 97 and 85 batches an epoch.
        ("menon", "cifar10", None, 97),
        ("menon", "cifar100", None, 85),
        ("cao", "cifar10", None, 97),
        # Scaled schedules: warm-up and decays at fractions of an epoch, so at
        # batches inside an epoch; a warm-up under 1, between 1 and 2, and longer.
        ("menon", "cifar10", 20, 97),
        ("menon", "cifar10", 1, 1),
        ("menon", "cifar100", 3, 13),
        ("cao", "cifar10", 20, 7),
        ("cao", "cifar10", 2, 30),
        ("cao", "cifar100", 1, 4),
    ],
)
def test_torch_schedulers_give_the_schedule_of_every_batch(
    name, dataset, epochs, steps_per_epoch
):
    schedule = cifar_lt.SCHEDULES[name][dataset]
    if epochs is not None:
        schedule = schedule.scaled(epochs)
    lrs = _lrs(schedule, steps_per_epoch)
    expected = [
        _multiplier(step, schedule, steps_per_epoch) for step in range(lrs.size)
    ]
    assert_allclose(lrs, expected, rtol=_rtol(lrs.size), atol=0)


def test_scaled_schedule_keeps_the_proportions():
    schedule = cifar_lt.SCHEDULES["cao"]["cifar10"].scaled(20)

    assert schedule.epochs == 20
    assert schedule.warmup_epochs == pytest.approx(0.5)
    assert [start for start, _ in schedule.decays] == pytest.approx([16, 18])
    assert schedule.drw_epoch == 16


class _WeightsAtStart(Callback):
    """Copies the module's parameters once it is initialised, before any step."""

    def on_train_begin(self, net, **kwargs):
        self.weights = {
            name: p.detach().clone() for name, p in net.module_.named_parameters()
        }


def test_one_epoch_of_logit_adjusted_net_with_resnet32_updates_the_weights(
    tmp_path, one_torch_thread
):
    cifar_lt.write_fake_cifar(
        tmp_path, "cifar10", n_train_per_class=7, n_test_per_class=1, seed=1
    )
    X_train, y_train, _, _ = cifar_lt.load_cifar(tmp_path, "cifar10")
    X_train = X_train[:64].astype(np.float32)
    y_train = y_train[:64]
    _, args = cifar_lt.parse_args(
        ["--fake", "--batch-size", "16", "--device", "cpu", "--verbose", "0"]
    )
    schedule = cifar_lt.SCHEDULES["cao"]["cifar10"].scaled(1)
    mean, std = cifar_lt.channel_stats(X_train.astype(np.uint8))
    net = cifar_lt.make_net(
        cifar_lt.training_params("logit_adjusted", schedule),
        schedule=schedule,
        n_train=y_train.size,
        mean=mean,
        std=std,
        args=args,
    )
    start = _WeightsAtStart()
    net.set_params(callbacks=[*net.callbacks, ("weights_at_start", start)])

    net.fit(X_train, y_train)

    assert net.module_.stages[0].conv1.weight.shape == (16, 16, 3, 3)
    assert len(net.history) == 1
    for name, param in net.module_.named_parameters():
        assert not torch.equal(param.detach(), start.weights[name]), name
    # The learning rate of each of the 4 batches follows the scaled schedule (a
    # warm-up over 4 * 5 / 200 = 0.1 batch: the base rate from the first batch).
    lrs = [batch["event_lr"] for batch in net.history[-1, "batches"]]
    expected = [0.1 * _multiplier(k, schedule, steps_per_epoch=4) for k in range(4)]
    assert_allclose(lrs, expected, rtol=_rtol(4))
    assert_allclose(net.priors_, np.bincount(y_train) / y_train.size)
    assert net.predict(X_train[:5]).shape == (5,)


def test_training_params_put_drw_at_the_first_decay():
    schedule = cifar_lt.SCHEDULES["menon"]["cifar10"]

    params = cifar_lt.training_params("ldam_drw", schedule)

    # "drw" becomes the callback DeferredReweighting(604) in make_net.
    assert params == {"loss": "ldam", "module__head": "normed", "drw": 604}
    _, args = cifar_lt.parse_args(["--fake", "--device", "cpu"])
    net = cifar_lt.make_net(
        params, schedule=schedule, n_train=12406, mean=(0.5,) * 3, std=(0.25,) * 3,
        args=args,
    )  # fmt: skip
    callbacks = dict(net.callbacks)
    assert isinstance(callbacks["drw"], DeferredReweighting)
    assert callbacks["drw"].epoch == 604
    assert net.module is CifarResNet and net.module__head == "normed"
    assert net.drw_epoch is None  # not the deprecated parameter
    assert set(cifar_lt.METHODS) == set(cifar_lt.PAPER_ERROR)


def test_main_fake_run_writes_the_markdown_table(tmp_path, capsys, one_torch_thread):
    out = tmp_path / "results" / "cifar_lt.md"

    report = cifar_lt.main(
        [
            "--fake",
            "--method",
            "erm",
            "posthoc",
            "--epochs",
            "1",
            "--batch-size",
            "32",
            "--device",
            "cpu",
            "--verbose",
            "0",
            "--out",
            str(out),
        ]
    )

    text = out.read_text(encoding="utf-8")
    assert text == report + "\n"
    assert "CIFAR-10-LT (imbalance ratio 100)" in text
    assert "Not the paper's setting" in text
    rows = {
        line.split(" | ")[0].lstrip("| "): line.split(" | ")
        for line in text.splitlines()
        if line.startswith("| ") and "`" in line
    }
    assert set(rows) == {
        "ERM (`erm`)",
        "Logit adjustment post-hoc (tau = 1) (`posthoc`)",
    }
    assert rows["ERM (`erm`)"][2] == "27.16"
    assert rows["Logit adjustment post-hoc (tau = 1) (`posthoc`)"][2] == "22.60"
    for cells in rows.values():
        assert 0 <= float(cells[1]) <= 100
    # The two rows share one trained net.
    assert len(re.findall("## Training", capsys.readouterr().out)) == 1


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_device_without_cuda_is_refused(capsys):
    with pytest.raises(SystemExit):
        cifar_lt.parse_args(["--fake", "--device", "cuda"])

    assert "--device cpu" in capsys.readouterr().err


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fake_run_on_gpu_augments_on_the_gpu(tmp_path):
    module = CifarResNet(10, blocks_per_stage=1).cuda().train()
    rows = torch.randint(0, 256, (8, 3072), device="cuda").float()
    assert module.preprocess(rows).device.type == "cuda"

    report = cifar_lt.main(
        [
            "--fake",
            "--method",
            "ldam_drw",
            "logit_adjusted",
            "--epochs",
            "2",
            "--device",
            "cuda",
            "--verbose",
            "0",
            "--out",
            str(tmp_path / "gpu.md"),
        ]
    )

    assert "device cuda" in report
    assert "(`ldam_drw`)" in report
    assert "(`logit_adjusted`)" in report


def test_quick_mode_scales_the_schedule_to_a_short_run():
    _, args = cifar_lt.parse_args(["--fake", "--quick"])
    assert args.epochs == cifar_lt.QUICK_EPOCHS
    _, args = cifar_lt.parse_args(["--fake", "--quick", "--epochs", "3"])
    assert args.epochs == 3
    _, args = cifar_lt.parse_args(["--fake"])
    assert args.epochs is None
