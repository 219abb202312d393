"""PyTorch's everyday names, by family: the list `torch_coverage.py` checks groundup against.

What a PyTorch tutorial or course uses: creating tensors, math, reductions, shapes and
indexing, linear algebra, autograd, the Tensor methods and properties, torch.nn's functions,
layers, init and utils, the optimizers and schedulers, and torch.utils.data. Each name must
exist in torch (tests/test_torch_coverage.py checks that against the installed torch).

`Family.groundup` maps a name to where groundup keeps it when that is not `groundup_root.name`;
"@Tensor.x" means an attribute of a sample tensor (methods come from `Tensor.__getattr__`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class Family:
    title: str
    torch_root: str
    groundup_root: str
    names: tuple[str, ...]
    groundup: dict[str, str] = field(default_factory=dict)
    intro: str = ""


FAMILIES = [
    Family("Creating tensors", "torch", "groundup", _names("""
        tensor as_tensor asarray from_numpy zeros ones empty full zeros_like ones_like
        empty_like full_like arange linspace logspace eye rand randn randint randperm
        rand_like randn_like randint_like normal bernoulli multinomial poisson tril_indices
        triu_indices meshgrid cartesian_prod
    """)),
    Family("Dtypes, devices and queries", "torch", "groundup", _names("""
        float32 float float64 double float16 half bfloat16 int64 long int32 int int16 int8
        uint8 bool complex64 get_default_dtype set_default_dtype promote_types result_type
         finfo iinfo device is_tensor is_floating_point is_complex is_nonzero numel
        set_printoptions cuda.is_available
    """), groundup={"bool": "groundup.bool_"}),
    Family("Random numbers", "torch", "groundup", _names("""
        manual_seed seed initial_seed get_rng_state set_rng_state Generator
    """)),
    Family("Autograd and grad modes", "torch", "groundup", _names("""
        no_grad enable_grad set_grad_enabled is_grad_enabled inference_mode
        is_inference_mode_enabled autograd.grad autograd.backward autograd.Function
        autograd.gradcheck autograd.gradgradcheck autograd.functional.jacobian
        autograd.functional.hessian autograd.set_detect_anomaly autograd.detect_anomaly
    """), groundup={
        "autograd.Function": "groundup.function.Function",
        "autograd.gradcheck": "groundup.inspect.gradcheck",
    }),
    Family("Saving and loading", "torch", "groundup", _names("save load")),
    Family("Pointwise math", "torch", "groundup", _names("""
        abs absolute neg negative add sub subtract mul multiply div divide true_divide
        floor_divide remainder fmod pow float_power sqrt rsqrt square exp exp2 expm1 log log2
        log10 log1p sin cos tan asin acos atan atan2 arcsin arccos arctan sinh cosh tanh asinh
        acosh atanh sigmoid logit erf erfc erfinv lgamma digamma sign sgn signbit ceil floor
        round trunc frac clamp clip lerp reciprocal hypot xlogy logaddexp logaddexp2 maximum
        minimum fmax fmin nan_to_num where addcmul addcdiv deg2rad rad2deg copysign heaviside
        sinc bitwise_and bitwise_or bitwise_xor bitwise_not logical_and logical_or logical_not
        logical_xor
    """)),
    Family("Comparison", "torch", "groundup", _names("""
        eq ne lt le gt ge greater less greater_equal less_equal equal allclose isclose isnan
        isinf isfinite isposinf isneginf
    """)),
    Family("Reductions, scans and sorting", "torch", "groundup", _names("""
        sum mean prod std var std_mean var_mean max min amax amin aminmax argmax argmin
        logsumexp norm all any count_nonzero median nanmedian mode quantile nanquantile nansum
        nanmean cumsum cumprod cummax cummin logcumsumexp diff dist unique unique_consecutive
        bincount histc kthvalue topk sort argsort
    """)),
    Family("Shapes, joining and indexing", "torch", "groundup", _names("""
        reshape flatten unflatten squeeze unsqueeze permute transpose swapaxes swapdims movedim
        moveaxis t cat concat concatenate stack hstack vstack dstack column_stack split chunk
        tensor_split unbind narrow select index_select masked_select masked_fill gather
        scatter scatter_add scatter_reduce index_add index_copy index_fill index_put take
        take_along_dim nonzero argwhere flip fliplr flipud roll rot90 tile repeat_interleave
        broadcast_to broadcast_tensors broadcast_shapes tril triu diag diagonal diag_embed
        diagflat trace atleast_1d atleast_2d atleast_3d ravel searchsorted bucketize
        block_diag einsum
    """)),
    Family("Matrix products", "torch", "groundup", _names("""
        matmul mm bmm mv dot vdot outer inner addmm addbmm baddbmm addmv tensordot kron cross
        cdist det inverse pinverse
    """)),
    Family("torch.linalg", "torch.linalg", "groundup.linalg", _names("""
        norm vector_norm matrix_norm det slogdet inv pinv solve lstsq qr svd svdvals eig eigh
        eigvals eigvalsh cholesky matrix_rank matrix_power matrix_exp cross multi_dot vecdot
        diagonal cond lu lu_factor solve_triangular
    """)),
    Family("Tensor attributes", "torch.Tensor", "@Tensor", _names("""
        shape dtype device ndim T mT data grad grad_fn requires_grad is_leaf
        size dim numel item tolist numpy element_size nbytes itemsize stride
        is_contiguous is_floating_point is_complex
    """), intro="Looked up on a tensor: a property, or a method from `Tensor.__getattr__`."),
    Family("Tensor methods", "torch.Tensor", "@Tensor", _names("""
        detach detach_ clone contiguous requires_grad_ retain_grad retains_grad backward
        register_hook to cpu cuda float double half long int bool type type_as view view_as
        reshape reshape_as expand expand_as repeat permute transpose t flatten squeeze
        unsqueeze unfold chunk split unbind new_zeros new_ones new_empty new_full new_tensor
        sum mean std var max min argmax argmin all any abs exp log sqrt sigmoid tanh relu
        softmax log_softmax matmul mm bmm dot eq ne lt gt sort argsort topk cumsum clamp
        clip where gather index_select masked_fill nonzero unique flip roll tril triu norm
        sign round floor ceil pow
    """)),
    Family("Tensor in-place methods", "torch.Tensor", "@Tensor", _names("""
        zero_ fill_ copy_ add_ sub_ mul_ div_ pow_ neg_ abs_ exp_ log_ sqrt_ clamp_ clamp_min_
        clamp_max_ sigmoid_ tanh_ relu_ masked_fill_ index_add_ index_fill_ index_copy_
        scatter_ scatter_add_ scatter_reduce_ masked_scatter_ normal_ uniform_ bernoulli_
        random_ exponential_
    """)),
    Family("torch.nn.functional", "torch.nn.functional", "groundup.nn.functional", _names("""
        relu relu6 leaky_relu elu selu celu gelu silu mish softplus softsign hardtanh
        hardswish hardsigmoid sigmoid tanh logsigmoid softmax log_softmax softmin glu prelu
        rrelu threshold tanhshrink softshrink hardshrink normalize linear bilinear conv1d
        conv2d conv3d conv_transpose1d conv_transpose2d unfold fold max_pool1d max_pool2d
        avg_pool1d avg_pool2d adaptive_avg_pool1d adaptive_avg_pool2d adaptive_max_pool1d
        adaptive_max_pool2d pad interpolate grid_sample affine_grid pixel_shuffle
        pixel_unshuffle embedding one_hot dropout dropout1d dropout2d alpha_dropout batch_norm
        layer_norm group_norm instance_norm rms_norm local_response_norm
        scaled_dot_product_attention cross_entropy nll_loss binary_cross_entropy
        binary_cross_entropy_with_logits mse_loss l1_loss smooth_l1_loss huber_loss kl_div
        cosine_similarity pairwise_distance pdist cosine_embedding_loss margin_ranking_loss
        triplet_margin_loss hinge_embedding_loss soft_margin_loss multi_margin_loss
        multilabel_soft_margin_loss poisson_nll_loss gaussian_nll_loss ctc_loss gumbel_softmax
    """)),
    Family("torch.nn containers and layers", "torch.nn", "groundup.nn", _names("""
        Module Parameter Buffer Sequential ModuleList ModuleDict ParameterList ParameterDict
        Identity Linear Bilinear Flatten Unflatten Conv1d Conv2d Conv3d ConvTranspose1d
        ConvTranspose2d MaxPool1d MaxPool2d AvgPool1d AvgPool2d AdaptiveAvgPool1d
        AdaptiveAvgPool2d AdaptiveMaxPool1d AdaptiveMaxPool2d BatchNorm1d BatchNorm2d
        BatchNorm3d LayerNorm GroupNorm InstanceNorm1d InstanceNorm2d RMSNorm LocalResponseNorm
        Dropout Dropout1d Dropout2d AlphaDropout Embedding EmbeddingBag RNN LSTM GRU RNNCell
        LSTMCell GRUCell Transformer TransformerEncoder TransformerDecoder
        TransformerEncoderLayer TransformerDecoderLayer MultiheadAttention Upsample
        PixelShuffle ZeroPad2d ConstantPad1d ConstantPad2d ReflectionPad2d ReplicationPad2d
        Fold Unfold CosineSimilarity PairwiseDistance
    """)),
    Family("torch.nn activations", "torch.nn", "groundup.nn", _names("""
        ReLU ReLU6 LeakyReLU PReLU RReLU ELU SELU CELU GELU SiLU Mish Sigmoid Tanh Softmax
        LogSoftmax Softmin Softplus Softsign Hardtanh Hardswish Hardsigmoid
        LogSigmoid GLU Threshold Tanhshrink Softshrink Hardshrink
    """)),
    Family("torch.nn losses", "torch.nn", "groundup.nn", _names("""
        CrossEntropyLoss NLLLoss BCELoss BCEWithLogitsLoss MSELoss L1Loss SmoothL1Loss
        HuberLoss KLDivLoss CosineEmbeddingLoss MarginRankingLoss TripletMarginLoss
        HingeEmbeddingLoss SoftMarginLoss MultiMarginLoss MultiLabelSoftMarginLoss
        PoissonNLLLoss GaussianNLLLoss CTCLoss
    """)),
    Family("torch.nn.Module methods", "torch.nn.Module", "@Module", _names("""
        forward parameters named_parameters buffers named_buffers children named_children
        modules named_modules train eval training zero_grad state_dict load_state_dict
        register_buffer register_parameter register_module add_module apply to cpu float
        double half requires_grad_ get_submodule get_parameter get_buffer
        register_forward_hook register_forward_pre_hook register_full_backward_hook extra_repr
    """), intro="Looked up on a module (`nn.Linear(2, 2)`)."),
    Family("torch.nn.init", "torch.nn.init", "groundup.nn.init", _names("""
        uniform_ normal_ constant_ ones_ zeros_ eye_ dirac_ xavier_uniform_ xavier_normal_
        kaiming_uniform_ kaiming_normal_ trunc_normal_ orthogonal_ sparse_ calculate_gain
    """)),
    Family("torch.nn.utils", "torch.nn.utils", "groundup.nn.utils", _names("""
        clip_grad_norm_ clip_grad_value_ clip_grads_with_norm_ get_total_norm
        parameters_to_vector vector_to_parameters weight_norm spectral_norm rnn.pad_sequence
        rnn.pack_padded_sequence rnn.pad_packed_sequence rnn.pack_sequence rnn.PackedSequence
    """)),
    Family("torch.optim", "torch.optim", "groundup.optim", _names("""
        Optimizer SGD Adam AdamW RMSprop Adagrad Adadelta Adamax NAdam RAdam Rprop LBFGS
    """)),
    Family("Optimizer methods", "torch.optim.Optimizer", "@Optimizer", _names("""
        zero_grad step state_dict load_state_dict add_param_group param_groups state
    """), intro="Looked up on an optimizer (`optim.SGD(model.parameters(), lr=0.1)`)."),
    Family("torch.optim.lr_scheduler", "torch.optim.lr_scheduler",
           "groundup.optim.lr_scheduler", _names("""
        LRScheduler StepLR MultiStepLR ExponentialLR CosineAnnealingLR
        CosineAnnealingWarmRestarts ReduceLROnPlateau OneCycleLR CyclicLR LambdaLR
        MultiplicativeLR LinearLR ConstantLR SequentialLR ChainedScheduler PolynomialLR
    """)),
    Family("torch.utils.data", "torch.utils.data", "groundup.data", _names("""
        Dataset IterableDataset TensorDataset ConcatDataset Subset StackDataset
        DataLoader random_split default_collate Sampler SequentialSampler
        RandomSampler SubsetRandomSampler WeightedRandomSampler BatchSampler get_worker_info
    """), intro="groundup keeps these in `groundup.data`."),
]

# Where groundup differs on purpose (or keeps a name elsewhere); keyed by the full torch name.
_CPU = "CPU only: groundup runs on NumPy"
NOTES = {
    "torch.device": _CPU,
    "torch.cuda.is_available": _CPU,
    "torch.Tensor.cuda": _CPU,
    "torch.Tensor.device": _CPU,
    "torch.Tensor.cpu": "groundup tensors are always on the CPU",
    "torch.nn.Module.cpu": "groundup modules are always on the CPU",
    "torch.bool": "`groundup.bool_`, so that `bool` stays Python's",
    "torch.bfloat16": "NumPy has no bfloat16",
    "torch.complex64": "no complex dtypes",
    "torch.is_complex": "no complex dtypes",
    "torch.Tensor.is_complex": "no complex dtypes",
    "torch.save": "safetensors (a Tensor or a str -> Tensor mapping such as a state dict), "
    "written atomically; never pickle",
    "torch.load": "safetensors only (a torch pickle is an error that says how to convert); "
    "`map_location` is None or 'cpu'; always weights only",
    "torch.inference_mode": "`no_grad()` plus `is_inference_mode_enabled()`; tensors made "
    "inside are ordinary tensors, not inference tensors",
    "torch.set_grad_enabled": "per thread, as torch",
    "torch.autograd.Function": "`groundup.function.Function`: `forward`/`backward` on NumPy "
    "arrays, `Fn.apply(...)`; no `ctx` object",
    "torch.autograd.gradcheck": "`groundup.inspect.gradcheck`",
    "torch.Generator": "groundup's random ops draw from one NumPy Generator (`manual_seed` "
    "reseeds it); `generator=` takes a `numpy.random.Generator`",
    "torch.Tensor.dtype": "a NumPy dtype",
    "torch.nn.Module.state_dict": "values are NumPy array copies, not tensors; "
    "`load_state_dict` takes either",
    "torch.nn.Parameter": "a Tensor subclass, as torch's",
    "torch.set_printoptions": "precision, threshold, edgeitems, linewidth, profile, sci_mode",
}
