// --qembed-quantize-globals with format=fp8 (per row and per-tensor) and
// mxfp4: fp8 scales keep the table's type (no cast), mxfp4's f8E8M0FNU
// scales are stored as i8 bytes and cast back. Bad format options are the
// errors of --qembed-quantize (format=vq's too), before any IR is touched.
// RUN: qembed-opt %s --allow-unregistered-dialect --verify-diagnostics --qembed-quantize-globals="format=fp8" | FileCheck %s --check-prefix=FP8
// RUN: qembed-opt %s --allow-unregistered-dialect --qembed-quantize-globals="format=fp8 per-tensor=true report=true" 2>&1 | FileCheck %s --check-prefix=FP8T
// RUN: qembed-opt %s --allow-unregistered-dialect --verify-diagnostics --qembed-quantize-globals="format=mxfp4" | FileCheck %s --check-prefix=MX
// RUN: not qembed-opt %s --allow-unregistered-dialect --qembed-quantize-globals="format=nvfp4 bits=8" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not qembed-opt %s --allow-unregistered-dialect --qembed-quantize-globals="format=mxfp4 group-size=16" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not qembed-opt %s --allow-unregistered-dialect --qembed-quantize-globals="per-tensor=true" 2>&1 | FileCheck %s --check-prefix=PERT
// RUN: not qembed-opt %s --allow-unregistered-dialect --qembed-quantize-globals="format=fp8 symmetric=false" 2>&1 | FileCheck %s --check-prefix=SYM
// RUN: not qembed-opt %s --allow-unregistered-dialect --qembed-quantize-globals="format=nvfp4 scale-type=f16" 2>&1 | FileCheck %s --check-prefix=SCALE
// RUN: not qembed-opt %s --allow-unregistered-dialect --qembed-quantize-globals="format=fp4" 2>&1 | FileCheck %s --check-prefix=FMT
// RUN: not qembed-opt %s --allow-unregistered-dialect --qembed-quantize-globals="format=vq vq-entries=300" 2>&1 | FileCheck %s --check-prefix=VQ
// RUN: not qembed-opt %s --allow-unregistered-dialect --qembed-quantize-globals="format=vq per-tensor=true" 2>&1 | FileCheck %s --check-prefix=VQPT

// BITS: error: invalid options: format=nvfp4 has 4-bit codes, got bits=8
// GROUP: error: invalid options: format=mxfp4 fixes group-size=32, got group-size=16
// PERT: error: invalid options: per-tensor is only for format=fp8, got format=int
// SYM: error: invalid options: format=fp8 is symmetric only
// SCALE: error: invalid options: format=nvfp4 fixes the scale type (fp8: the table's, nvfp4: f8E4M3FN, mxfp4: f8E8M0FNU), got scale-type=f16
// FMT: error: invalid format 'fp4': expected int, fp8, nvfp4, mxfp4 or vq
// VQ: error: invalid options: codebook entries must be a power of two in [2, 65536], got 300
// VQPT: error: invalid options: per-tensor is only for format=fp8, got format=vq

// FP8: "util.global"() <{initial_value = dense_resource<qembed_packed> : tensor<4x8xi32>, sym_name = "embed.qembed_packed", sym_visibility = "private", type = tensor<4x8xi32>}>
// FP8-NEXT: "util.global"() <{initial_value = dense_resource<qembed_scales> : tensor<4x1xf32>, sym_name = "embed.qembed_scales", sym_visibility = "private", type = tensor<4x1xf32>}>
// FP8-LABEL: func.func @lookup
// FP8: %[[P:.*]] = "util.global.load"() <{global = @embed.qembed_packed}> : () -> tensor<4x8xi32>
// FP8: %[[S:.*]] = "util.global.load"() <{global = @embed.qembed_scales}> : () -> tensor<4x1xf32>
// FP8: %[[R:.*]] = qembed.gather %[[P]][%{{.*}}] scales(%[[S]]) scheme <bits = 8, group_size = 0, symmetric, scale_type = f32, format = fp8> : tensor<4x8xi32>, tensor<4x1xf32>, tensor<3xi64> -> tensor<3x32xf32>
// FP8: return %[[R]]

// Per-tensor: one scale, stored once per row (all four equal).
// FP8T: remark: quantized 4x32xf32 table used by 1 lookup(s): 512 -> 144 bytes (packed 128 + scales 16 + zero points 0)
// FP8T: qembed_scales: "0x08000000[[SC:[0-9A-F]{8}]][[SC]][[SC]][[SC]]"

// MX: "util.global"() <{initial_value = dense_resource<qembed_packed> : tensor<4x4xi32>, sym_name = "embed.qembed_packed", sym_visibility = "private", type = tensor<4x4xi32>}>
// MX-NEXT: "util.global"() <{initial_value = dense_resource<qembed_scales> : tensor<4x1xi8>, sym_name = "embed.qembed_scales", sym_visibility = "private", type = tensor<4x1xi8>}>
// MX-LABEL: func.func @lookup
// MX: %[[B:.*]] = "util.global.load"() <{global = @embed.qembed_scales}> : () -> tensor<4x1xi8>
// MX-NEXT: %[[S:.*]] = arith.bitcast %[[B]] : tensor<4x1xi8> to tensor<4x1xf8E8M0FNU>
// MX: qembed.gather %{{.*}}[%{{.*}}] scales(%[[S]]) scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4> : tensor<4x4xi32>, tensor<4x1xf8E8M0FNU>, tensor<3xi64> -> tensor<3x32xf32>
"util.global"() <{initial_value = dense_resource<table_blob> : tensor<4x32xf32>, sym_name = "embed", sym_visibility = "private", type = tensor<4x32xf32>}> : () -> ()
func.func @lookup(%ids: tensor<3xi64>) -> tensor<3x32xf32> {
  %t = "util.global.load"() <{global = @embed}> : () -> tensor<4x32xf32>
  %init = tensor.empty() : tensor<3x32xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x32xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<4x32xf32>
    linalg.yield %x : f32
  } -> tensor<3x32xf32>
  return %rows : tensor<3x32xf32>
}
{-#
  dialect_resources: {
    builtin: {
      table_blob: "0x040000006CBF003E7F4607BEBDF2233FDFD5D63DA12109BFFD22B93E79E9A63FE673723FFE2734BF55F9A1BFEA8E1FBF6E45293D4ECD14C0EC0A60BE037A9FBFE0753BBF8F540BBF18F2A1BE3DC1D23E1471853F979E03BE46E8AE3F334A2ABF21F9B33ED249673F8589C03DF8553EBF32F66BBF0A5BEABED57A613E2B3B81BF1F3256BE91C27EC19656584230BAAB412A260E4206C482C2BF614FC18BCB9C42D657154327D0FBC2736417436996064325439C428390D3416523FBC154CD11439D064443DB293443A8820343C1F30E42E9A9F1C2370DE4BE844B83420DD600C3800C1E420BF22B4263358B42D6D2ECC22C5784C2F8922EC2DCF5E9C2D1EF2D43425D46C2B56EA83E9F6384BE3DAFCA3F000000006623223F4E060DC0551C553D0F062F3FD081803F282F1EBFAB37E93FE203A9BFE75929BF705F6F3F7EED483D332700402D0B413E021922BF0150C1BEADAA8BBF068BA3BFA662213F48C7143F1AB4A53FD82D41BFAC34D83F7B2493BE3686C93F1B96DDBEA2483CBFBDC77F3EA806843FB2DF243E38E515BF16ADABBF0465B3BFD3AF003FD55D7D3FD73C28BECA8489BFB17F5F3FF3E3A3BFA18B36BF07FB1E3F500210C03CD2C53E6AE614BF09CEDF3D67099BBD13F74E3E41B5313F852442BFBDE2B53F48E1393FDDFE573F431A953F629F493F8A15583FD3D09A3D87A0B6BF43490ABEE9FE44BF671CB6BFED53843E"
    }
  }
#-}
