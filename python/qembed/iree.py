"""IREE globals and parameter archives: quantizing the embedding tables of
iree-turbine exports (``aot.export``), whose weights are ``util.global``s
with inline initial values or ``#flow.parameter.named`` parameters read
from an IRPA / safetensors file.

    from iree.turbine import aot
    import qembed.iree

    exported = aot.export(model, ids)                       # or after
    # aot.externalize_module_parameters(model) +
    # aot.save_module_parameters("model.irpa", model)
    text = qembed.iree.compile_to_input(exported)           # iree-compile --compile-to=input
    q = qembed.iree.quantize_globals(text, bits=4, group_size=64,
                                     parameters={"model": "model.irpa"},
                                     output_parameters="model.qembed.irpa")
    vmfb = iree.compiler.compile_str(q, target_backends=["llvm-cpu"],
                                     extra_args=["--compile-from=input"])
    # run with both archives: iree-run-module --parameters=model=model.irpa
    #                                         --parameters=model=model.qembed.irpa

The pass is ``--qembed-quantize-globals`` (qembed-opt, see
docs/QEmbedPasses.md); this module builds its options and runs it with
``--qembed-to-linalg`` after it.
"""

import os
import re
import warnings

import numpy as np

import qembed

# Characters that would break the pass-option syntax of a path or a scope.
_UNSAFE = re.compile(r"[\s,={}\"']")


def compile_to_input(module):
    """Runs ``iree-compile --compile-to=input`` (IREE's input conversion:
    torch → linalg, globals kept) on `module` and returns the result as
    generic-form MLIR text, which qembed parses with IREE's ops kept as
    unregistered ops. `module` is an iree-turbine ``ExportOutput``, an MLIR
    Python-bindings Module (iree.compiler's), or MLIR text/bytecode that
    iree-compile accepts. Weights are never elided."""
    from iree.compiler import tools
    mlir_module = getattr(module, "mlir_module", None)  # ExportOutput
    if mlir_module is not None:
        module = mlir_module
    if qembed._is_mlir_module(module):
        # Bytecode from iree.compiler's own bindings: the same MLIR as
        # iree-compile, nothing elided.
        module = module.operation.get_asm(binary=True)
    if not isinstance(module, (str, bytes)):
        raise TypeError("module must be an iree-turbine ExportOutput, an MLIR "
                        "Module or MLIR text/bytes, got %s"
                        % type(module).__name__)
    out = tools.compile_str(module, extra_args=["--compile-to=input",
                                                "--mlir-print-op-generic"])
    return out.decode() if isinstance(out, bytes) else out


def _check_path(what, value):
    value = os.fspath(value)
    if not isinstance(value, str) or not value or _UNSAFE.search(value):
        raise ValueError("%s must be a non-empty path without whitespace, "
                         "',', '=', quotes or braces (the pass-option "
                         "syntax), got %r" % (what, value))
    return value


def quantize_globals(module, bits=None, group_size=None, symmetric=True,
                     scale_type=None, tables=None, min_rows=0,
                     min_table_bytes=0, parameters=None,
                     output_parameters=None, output_scope=None,
                     lower=True, report=False, diagnostics=False,
                     format="int", per_tensor=False, vq=None):
    """Runs ``--qembed-quantize-globals`` (then ``--qembed-to-linalg`` when
    `lower`) on `module`: generic-form MLIR as ``compile_to_input`` returns
    it, or what ``qembed.run_pipeline`` accepts. Returns the module as
    generic-form text, ready for ``iree-compile --compile-from=input``.

    `tables`: a regular expression; only tables whose global name or
    parameter key contains a match are quantized. `parameters`: a dict
    scope → archive path (IRPA, safetensors or GGUF) for parameter tables;
    `output_parameters`: the archive (``.irpa`` or ``.safetensors``) that
    receives their packed tensors, under the keys ``<key>.qembed_packed``,
    ``.qembed_scales`` (``.qembed_zero_points``), in scope `output_scope`
    (default: the table's). Tables left dense get a ``table left dense:
    <why>`` remark: returned with diagnostics=True as (result, diagnostics
    text), else issued as ``qembed.TableLeftDenseWarning``. Errors (a
    missing archive or key, a dtype mismatch, ...) raise qembed.MLIRError.

    `bits` / `group_size` default to 4 / 64. format="fp8" | "nvfp4" |
    "mxfp4" (and `per_tensor` for fp8) quantizes to a float format as
    ``qembed.quantize(table, format=...)`` does (bits and group_size are then
    the format's); the nvfp4 / mxfp4 f8 scales are stored as their bytes
    (int8 globals / archive entries). `vq` (a dict of qembed.quantize_vq
    options: dim, entries, stages, groups, iterations, seed) selects codebook
    VQ instead: ``<key>.qembed_codes``, ``.qembed_scales`` and
    ``.qembed_codebooks``, as qembed.quantize_vq computes them."""
    if vq is not None and format != "int":
        raise ValueError("vq= is codebook quantization: it takes no "
                         "format=%r" % (format,))
    qembed._check_format(format, bits, group_size, symmetric, scale_type,
                         per_tensor)
    if format != "int":
        bits = qembed._FORMAT_BITS[format]
        group_size = qembed._FORMAT_GROUP[format]
    bits = 4 if bits is None else bits
    group_size = 64 if group_size is None else group_size
    qembed._check_options(bits, group_size)
    for name, v in (("min_rows", min_rows), ("min_table_bytes",
                                             min_table_bytes)):
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError("%s must be an integer >= 0, got %r" % (name, v))
    opts = ["bits=%d" % bits, "group-size=%d" % group_size,
            "symmetric=%s" % ("true" if symmetric else "false"),
            "min-rows=%d" % min_rows, "min-table-bytes=%d" % min_table_bytes,
            "report=%s" % ("true" if report else "false")]
    if format != "int":
        opts.append("format=%s per-tensor=%s" % (
            format, "true" if per_tensor else "false"))
    if vq is not None:
        opts.append(qembed._vq_pass_options(vq).strip())
    if scale_type is not None:
        opts.append("scale-type=%s" % qembed._kind_name(scale_type,
                                                         "scale_type"))
    if tables is not None:
        if not isinstance(tables, str) or not tables or \
                re.search(r"[\s{}\"']", tables):
            raise ValueError("tables must be a non-empty regular expression "
                             "without whitespace, quotes or braces, got %r"
                             % (tables,))
        opts.append("tables=%s" % tables)
    if parameters:
        if not isinstance(parameters, dict):
            raise TypeError("parameters must be a dict scope -> archive path")
        entries = []
        for scope, path in parameters.items():
            if not isinstance(scope, str) or _UNSAFE.search(scope):
                raise ValueError("bad parameter scope %r" % (scope,))
            entries.append("%s=%s" % (scope, _check_path("parameters[%r]"
                                                         % scope, path)))
        opts.append("parameters=" + ",".join(entries))
    if output_parameters is not None:
        opts.append("output-parameters=" +
                    _check_path("output_parameters", output_parameters))
    if output_scope is not None:
        if not isinstance(output_scope, str) or not output_scope or \
                _UNSAFE.search(output_scope):
            raise ValueError("bad output_scope %r" % (output_scope,))
        opts.append("output-scope=" + output_scope)
    pipeline = "qembed-quantize-globals{%s}" % " ".join(opts)
    if lower:
        pipeline += ",qembed-to-linalg"
    out, diags = qembed.run_pipeline(module, pipeline, diagnostics=True,
                                     allow_unregistered=True)
    if diagnostics:
        return out, diags
    for line in diags.splitlines():
        if "remark: table left dense" in line:
            warnings.warn(line, qembed.TableLeftDenseWarning, stacklevel=2)
    return out
