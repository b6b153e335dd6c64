"""``LogitsClassifier``: a model whose input is its own logits, computed elsewhere.

At ImageNet-LT or iNaturalist scale the network is trained once, outside
scikit-learn, and its logits on held-out and test data are saved. Post-hoc logit
adjustment (Menon et al., 2021, "Long-tail learning via logit adjustment", ICLR)
needs nothing else: wrapping those logits in a scikit-learn classifier lets
``LogitAdjustedClassifier`` and ``LogitAdjustedClassifierCV`` adjust and tune them
like any model's scores, and the metrics and reports score them.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import assert_all_finite, check_consistent_length
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import (
    _fit_context,
    _max_precision_float_dtype,
    check_same_namespace,
    move_to,
)
from ._doc_link import DocLinkMixin
from ._namespace import array_namespace, log_softmax_rows, softmax_rows, to_namespace
from ._validation import (
    check_labels,
    check_unique_classes,
    label_indices,
    preview,
    unpredictable_rows,
)

__all__ = ["LogitsClassifier"]


def _check_logits(logits, xp=np):
    """Refuse NaN, ``+inf`` and rows without a finite logit; ``-inf`` is log(0)."""
    if xp is not np:
        # On the device: NaN propagates through max; +inf and an all -inf row
        # give a non-finite row maximum. The NumPy copy is only for the message.
        if logits.shape[0] == 0 or bool(xp.all(xp.isfinite(xp.max(logits, axis=1)))):
            return logits
        _check_logits(move_to(logits, xp=np, device="cpu"))
    bad_rows = unpredictable_rows(logits)
    if bad_rows.size == 0:
        return logits
    raise ValueError(
        f"X holds NaN, +inf or rows without a finite logit ({bad_rows.size} rows; "
        f"first row {int(bad_rows[0])}: {preview(logits[bad_rows[0]], limit=5)}); "
        "expected logits or log-probabilities, finite or -inf (a probability of 0), "
        "with at least one finite value per row. Check the model that computed them."
    )


def _numeric(classes):
    """Labels an array library can hold (an array of one, or NumPy numbers)."""
    if not isinstance(classes, np.ndarray):
        return True
    return np.issubdtype(classes.dtype, np.number) or classes.dtype == np.bool_


class LogitsClassifier(DocLinkMixin, ClassifierMixin, BaseEstimator):
    r"""A classifier whose input ``X`` is already its logits, computed elsewhere.

    For logits (or log-probabilities) that another model computed, e.g. a network
    trained with torch and scored once on the validation and test data: ``X`` is
    the ``(n_samples, n_classes)`` matrix of those scores, one column per class,
    and the prediction methods only normalise it. It learns nothing but the class
    labels of the columns, so that scikit-learn tools can use the logits:
    ``LogitAdjustedClassifier(LogitsClassifier())`` fitted on ``(logits, y)`` is
    post-hoc logit adjustment (Menon et al., 2021) with the priors of ``y``, and
    :class:`LogitAdjustedClassifierCV` around
    ``FrozenEstimator(LogitsClassifier(classes=...).fit(logits_val))`` tunes
    ``tau`` on validation logits with given training priors.

    Parameters
    ----------
    classes : array-like of shape (n_classes,) or None, default=None
        The class label of each column of ``X``, in the order of the columns.
        ``None``: ``np.unique(y)`` when ``fit`` is given ``y``, else
        ``0, ..., n_classes - 1``. Pass it when ``y`` may lack a class (a rare
        class absent from a validation set) or when the columns are not in the
        sorted order of the labels.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class label of each column of ``X``.

    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``: the number of classes.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X`` seen in ``fit``, when ``X`` is a dataframe with
        string column names.

    See Also
    --------
    LogitAdjustedClassifier : Adjusts these logits with the training priors.
    LogitAdjustedClassifierCV : Tunes ``tau`` on them.
    logit_adjust : The same adjustment on the arrays, without an estimator.

    Notes
    -----
    ``predict_log_proba`` is :math:`\log \operatorname{softmax}(X)`, row by row:
    if the logits come from a model trained on long-tailed data, it estimates the
    *training*-distribution posterior. ``X`` may hold ``-inf`` (the log of a
    probability of 0), but not NaN or ``+inf``, and each row needs a finite
    value.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lt import LogitAdjustedClassifier, LogitsClassifier
    >>> logits = np.array([[2.0, 1.5], [0.2, 0.1], [3.0, -1.0], [0.5, 0.4]])
    >>> y = np.array([0, 0, 0, 1])
    >>> LogitsClassifier().fit(logits).predict(logits)
    array([0, 0, 0, 0])
    >>> adjusted = LogitAdjustedClassifier(LogitsClassifier()).fit(logits, y)
    >>> adjusted.priors_
    array([0.75, 0.25])
    >>> adjusted.predict(logits)  # the rare class gains log(0.75 / 0.25) = 1.1
    array([1, 1, 0, 1])
    """

    _parameter_constraints: dict = {"classes": [None, "array-like"]}

    def __init__(self, classes=None):
        self.classes = classes

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the class label of each column of ``X``; ``X`` is only checked.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes)
            Logits or log-probabilities, one column per class.

        y : array-like of shape (n_samples,), default=None
            Class labels. They give ``classes_`` when ``classes=None`` and must
            be among ``classes`` otherwise; the logits are not fitted to them.

        Returns
        -------
        self : LogitsClassifier
            The fitted estimator.
        """
        place = array_namespace(X=X)
        logits = self._validate_logits(X, reset=True, place=place)
        if y is not None:
            # Labels are bookkept in NumPy (n_samples numbers, once in fit).
            if place is not None:
                y = move_to(y, xp=np, device="cpu")
            y = check_labels(y, warn=True)
            assert_all_finite(y, input_name="y")
            check_classification_targets(y)
            check_consistent_length(logits, y)
        if self.classes is not None:
            classes = check_unique_classes(self.classes, "classes")
            source = "from classes"
            if y is not None:
                label_indices(y, classes, classes_name="classes")
        elif y is not None:
            classes = np.unique(y)
            source = "np.unique(y)"
        else:
            classes = np.arange(logits.shape[1])
            source = ""
        if classes.size != logits.shape[1]:
            raise ValueError(
                f"X has {logits.shape[1]} columns but there are {classes.size} "
                f"classes ({source}: {preview(classes)}); X must hold the logits "
                "of a model, one column per class. Pass classes= with the label "
                "of each column (e.g. all the training classes, when y lacks "
                "some), or the logits of the model itself."
            )
        if place is not None and np.issubdtype(classes.dtype, np.number):
            # Stored where X is, as scikit-learn's estimators store theirs; an
            # array library holds no strings, so string labels stay NumPy.
            classes = to_namespace(classes, *place)
        self.classes_ = classes
        return self

    def _validate_logits(self, X, *, reset, place):
        xp = np if place is None else place[0]
        widest = np.float64 if place is None else _max_precision_float_dtype(*place)
        logits = validate_data(
            self, X, reset=reset, dtype=widest, ensure_all_finite=False
        )
        return _check_logits(logits, xp)

    def _checked(self, X, method):
        """``(logits, xp)``: ``X`` checked, and the namespace it is computed in."""
        check_is_fitted(self)
        if _numeric(self.classes_):
            # As scikit-learn's estimators: X must live where fit's X did (string
            # labels, which no array library holds, cannot tell where that was).
            check_same_namespace(X, self, attribute="classes_", method=method)
        place = array_namespace(X=X)
        return self._validate_logits(X, reset=False, place=place), (
            np if place is None else place[0]
        )

    def decision_function(self, X):
        """The logits themselves, as float64.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes)
            Logits or log-probabilities, one column per class.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            ``X``, checked. For two classes, ``X[:, 1] - X[:, 0]`` (the log-odds
            of ``classes_[1]``), as scikit-learn's binary classifiers return.
        """
        logits, _ = self._checked(X, "decision_function")
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_log_proba(self, X):
        """Log of the softmax of the logits, row by row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes)
            Logits or log-probabilities, one column per class.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        return log_softmax_rows(*self._checked(X, "predict_log_proba"))

    def predict_proba(self, X):
        """Softmax of the logits, row by row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes)
            Logits or log-probabilities, one column per class.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return softmax_rows(*self._checked(X, "predict_proba"))

    def predict(self, X):
        """The class of the largest logit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_classes)
            Logits or log-probabilities, one column per class.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        logits, xp = self._checked(X, "predict")
        best = xp.argmax(logits, axis=1)
        if xp is np or _numeric(self.classes_):
            return xp.take(self.classes_, best, axis=0)
        # String labels: an array library holds none, so they come back as NumPy.
        return self.classes_[move_to(best, xp=np, device="cpu")]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False  # y only names the columns
        # It learns nothing from (X, y): on data that are not logits, its
        # predictions are the argmax of the features.
        tags.classifier_tags.poor_score = True
        tags.array_api_support = True
        return tags
