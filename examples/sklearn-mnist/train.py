"""Train scikit-learn's logistic regression on MNIST: the Azure ML tutorial's train.py.

Brought up to date (``import joblib``, plain ``float``) and otherwise as the tutorial wrote it.
It runs bare, logging to standard output::

    python train.py --data-folder ~/.cache/runlab/datasets/mnist --regularization 0.8

and unchanged as a run (``runlab tutorial mnist`` submits it to a Ray cluster), where
``Run.get_context()`` is the job's run: the metrics are stored, and the model written to
``./outputs`` is uploaded with the run's files.
"""

import argparse
import glob
import os

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from utils import load_data

from runlab.compat.azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument(
    "--data-folder", type=str, dest="data_folder", help="data folder mounting point"
)
parser.add_argument(
    "--regularization", type=float, dest="reg", default=0.01, help="regularization rate"
)
args = parser.parse_args()

data_folder = args.data_folder
print("Data folder:", data_folder)


def data_file(name):
    """The one file of that name below the data folder, wherever the data was mounted."""
    found = glob.glob(os.path.join(data_folder, "**", name), recursive=True)
    if not found:
        parser.error(f"no {name} below {data_folder}")
    return found[0]


# load the files into numpy arrays, scaling the pixels to 0..1
X_train = load_data(data_file("train-images-idx3-ubyte.gz"), False) / 255.0
X_test = load_data(data_file("t10k-images-idx3-ubyte.gz"), False) / 255.0
y_train = load_data(data_file("train-labels-idx1-ubyte.gz"), True).reshape(-1)
y_test = load_data(data_file("t10k-labels-idx1-ubyte.gz"), True).reshape(-1)
print(X_train.shape, y_train.shape, X_test.shape, y_test.shape, sep="\n")

# get hold of the current run
run = Run.get_context()

print("Train a logistic regression model with regularization rate of", args.reg)
clf = LogisticRegression(C=1.0 / args.reg, random_state=42)
clf.fit(X_train, y_train)

print("Predict the test set")
y_hat = clf.predict(X_test)

# calculate accuracy on the prediction
acc = np.average(y_hat == y_test)
print("Accuracy is", acc)

run.log("regularization rate", float(args.reg))
run.log("accuracy", float(acc))

os.makedirs("outputs", exist_ok=True)
# the file saved in the outputs folder is uploaded into the run's record automatically
joblib.dump(value=clf, filename="outputs/sklearn_mnist_model.pkl")
