"""groundup.optim: optimizers and learning-rate schedules with PyTorch's names, defaults,
update rules and state_dict layout."""

from groundup.optim import lr_scheduler
from groundup.optim.adadelta import Adadelta
from groundup.optim.adagrad import Adagrad
from groundup.optim.adam import Adam, AdamW
from groundup.optim.adamax import Adamax
from groundup.optim.lbfgs import LBFGS
from groundup.optim.nadam import NAdam
from groundup.optim.optimizer import Optimizer
from groundup.optim.radam import RAdam
from groundup.optim.rmsprop import RMSprop
from groundup.optim.rprop import Rprop
from groundup.optim.sgd import SGD

__all__ = [
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "lr_scheduler",
]
