// --qembed-quantize-globals format=nvfp4 (the format options of
// --qembed-quantize): the codes go to an i32 global, the f8E4M3FN scales to
// an i8 global of their bytes that is cast back to f8 after the load, and
// the global scale is part of the gather's scheme; a table whose row length
// the format's 16-column groups do not divide stays dense, with a remark.
// After --qembed-to-linalg no f8 type is left (IREE 3.13 has none).
// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics \
// RUN:   --qembed-quantize-globals="format=nvfp4" | FileCheck %s
// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file \
// RUN:   --qembed-quantize-globals="format=nvfp4 bits=4 group-size=16" --qembed-to-linalg | FileCheck %s --check-prefix=LIN

// CHECK-LABEL: "util.global"() <{initial_value = dense_resource<qembed_packed> : tensor<4x4xi32>, sym_name = "embed.qembed_packed", sym_visibility = "private", type = tensor<4x4xi32>}>
// CHECK-NEXT: "util.global"() <{initial_value = dense_resource<qembed_scales> : tensor<4x2xi8>, sym_name = "embed.qembed_scales", sym_visibility = "private", type = tensor<4x2xi8>}>
// CHECK-NOT: sym_name = "embed"
// CHECK-LABEL: func.func @nvfp4
// CHECK: %[[P:.*]] = "util.global.load"() <{global = @embed.qembed_packed}> : () -> tensor<4x4xi32>
// CHECK: %[[B:.*]] = "util.global.load"() <{global = @embed.qembed_scales}> : () -> tensor<4x2xi8>
// CHECK: %[[S:.*]] = arith.bitcast %[[B]] : tensor<4x2xi8> to tensor<4x2xf8E4M3FN>
// CHECK: %[[R:.*]] = qembed.gather %[[P]][%{{.*}}] scales(%[[S]]) scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = {{.*}}> : tensor<4x4xi32>, tensor<4x2xf8E4M3FN>, tensor<3xi64> -> tensor<3x32xf32>
// CHECK: return %[[R]]
// LIN-NOT: f8E4M3FN
// LIN-LABEL: func.func @nvfp4
// LIN: %[[B:.*]] = "util.global.load"() <{global = @embed.qembed_scales}> : () -> tensor<4x2xi8>
// LIN: linalg.generic
// LIN: tensor.extract %[[B]][%{{.*}}, %{{.*}}] : tensor<4x2xi8>
// LIN-NOT: f8E4M3FN
// LIN-NOT: qembed.
"util.global"() <{initial_value = dense_resource<table_blob> : tensor<4x32xf32>, sym_name = "embed", sym_visibility = "private", type = tensor<4x32xf32>}> : () -> ()
func.func @nvfp4(%ids: tensor<3xi64>) -> tensor<3x32xf32> {
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

// -----

// 24 columns: NVFP4's groups of 16 do not divide the row.
// CHECK-LABEL: sym_name = "narrow_table"
// CHECK-NOT: qembed_packed
// CHECK-LABEL: func.func @narrow
// CHECK: tensor.extract
// expected-remark @+1 {{table left dense: format nvfp4 has groups of 16 columns, which do not divide its row length 24}}
"util.global"() <{initial_value = dense_resource<narrow_blob> : tensor<4x24xf32>, sym_name = "narrow_table", sym_visibility = "private", type = tensor<4x24xf32>}> : () -> ()
func.func @narrow(%ids: tensor<3xi64>) -> tensor<3x24xf32> {
  %t = "util.global.load"() <{global = @narrow_table}> : () -> tensor<4x24xf32>
  %init = tensor.empty() : tensor<3x24xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x24xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<4x24xf32>
    linalg.yield %x : f32
  } -> tensor<3x24xf32>
  return %rows : tensor<3x24xf32>
}
{-#
  dialect_resources: {
    builtin: {
      narrow_blob: "0x04000000758C11BFA2D083BF0F8185BFF76D893EDAA3B73E4946A93F5AFA63BC015B853F6A7DB33FA138933F246117C082459D3FACE2AD3E8FF8D83E8511BE3EBFF8C33E438AA33E7CC3B7BEC968F3BFAF0EDFBD5FC14DBFCB428A3F34D993BE21F5AA3DC77F59BF27B802BF2BF53CBCC620BEBF66F3993E693CD9BDABC597BFA67C19C06257033FEF5C98BEA2AE07BF85D271BE4982E83F1AFC4BBD7165B13D6758BEBF02DCD23F7EE06A3F5291883F7B44433DE3A96A3FBEECBD3EF6F91C3F79D81BBE5CA8BCBF80B1833FC2ACF7BFF5B175BE586E51BE717C85BFA3F51C3F3B234DBE35ADDFBE5914053F2B02F4BE19CAB13FEBF1B33EC6DBF2BEADDDF8BF7564A7BF451D8B3F35464FBDC5F590BE1256D23FDA2DA4BFABED15BF03F7F1BE331A163F71DD29BFF4081DBF8975CDBFA4B63A3F265F4E3FA7E7F3BE9642273E6E75A5BF7E91F1BEB260B03FFFFC0A3EFFDC1340778549BF858D143FAE3248BE70D9103F454DECBBAEAA0FBF221C5EBFF239444016679EBDF81001C0B00A26BF03942D3F"
    }
  }
#-}
