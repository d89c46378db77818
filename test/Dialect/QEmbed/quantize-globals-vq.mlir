// --qembed-quantize-globals format=vq (the vq-* options of
// --qembed-quantize): the codes, the per-row f16 scales and the codebooks
// go to three new globals read by a qembed.codebook_gather; a table whose
// row length vq-dim does not divide stays dense, with a remark. With
// --qembed-to-iree target=cuda the gather becomes a dispatch of qembed's
// codebook kernel reading the three globals.
// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics \
// RUN:   --qembed-quantize-globals="format=vq vq-dim=4 vq-entries=4 vq-groups=2 vq-iterations=4 seed=3" | FileCheck %s
// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file \
// RUN:   --qembed-quantize-globals="format=vq vq-dim=4 vq-entries=4 vq-groups=2 vq-iterations=4 seed=3" \
// RUN:   --qembed-to-iree="target=cuda chip=sm_90" | FileCheck %s --check-prefix=CUDA

// CHECK-LABEL: "util.global"() <{initial_value = dense_resource<qembed_vq_codes> : tensor<4x1xi32>, sym_name = "embed.qembed_codes", sym_visibility = "private", type = tensor<4x1xi32>}>
// CHECK-NEXT: "util.global"() <{initial_value = dense_resource<qembed_vq_scales> : tensor<4x1xf16>, sym_name = "embed.qembed_scales", sym_visibility = "private", type = tensor<4x1xf16>}>
// CHECK-NEXT: "util.global"() <{initial_value = dense_resource<qembed_vq_codebooks> : tensor<2x1x4x4xf16>, sym_name = "embed.qembed_codebooks", sym_visibility = "private", type = tensor<2x1x4x4xf16>}>
// CHECK-NOT: sym_name = "embed"
// CHECK-LABEL: func.func @vq
// CHECK: %[[C:.*]] = "util.global.load"() <{global = @embed.qembed_codes}> : () -> tensor<4x1xi32>
// CHECK: %[[S:.*]] = "util.global.load"() <{global = @embed.qembed_scales}> : () -> tensor<4x1xf16>
// CHECK: %[[B:.*]] = "util.global.load"() <{global = @embed.qembed_codebooks}> : () -> tensor<2x1x4x4xf16>
// CHECK: %[[R:.*]] = qembed.codebook_gather %[[C]][%{{.*}}] scales(%[[S]]) codebooks(%[[B]]) codebook <dim = 4, entries = 4, stages = 1, groups = 2> : tensor<4x1xi32>, tensor<4x1xf16>, tensor<2x1x4x4xf16>, tensor<3xi64> -> tensor<3x32xf32>
// CHECK: return %[[R]]
// CUDA: sym_name = "[[K:qembed_vq_gather_d4_k4_s1_g2_f16_f16_f32_i64_c32_b256]]"
// CUDA-LABEL: func.func @vq
// CUDA: %[[C:.*]] = "util.global.load"() <{global = @embed.qembed_codes}>
// CUDA: %[[S:.*]] = "util.global.load"() <{global = @embed.qembed_scales}>
// CUDA: %[[B:.*]] = "util.global.load"() <{global = @embed.qembed_codebooks}>
// CUDA: "flow.dispatch"(%{{.*}}, %{{.*}}, %{{.*}}, %[[C]], %[[S]], %[[B]], %{{.*}}) {entry_points = [@[[K]]::@[[K]]]
// CUDA-NOT: qembed.
"util.global"() <{initial_value = dense_resource<table_blob> : tensor<4x32xf32>, sym_name = "embed", sym_visibility = "private", type = tensor<4x32xf32>}> : () -> ()
func.func @vq(%ids: tensor<3xi64>) -> tensor<3x32xf32> {
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

// 30 columns: vectors of 4 do not divide the row.
// CHECK-LABEL: sym_name = "odd_table"
// CHECK-NOT: qembed_codes
// CHECK-LABEL: func.func @odd
// CHECK: tensor.extract
// expected-remark @+1 {{table left dense: format=vq: vector dimension 4 does not divide the row length 30}}
"util.global"() <{initial_value = dense_resource<odd_blob> : tensor<4x30xf32>, sym_name = "odd_table", sym_visibility = "private", type = tensor<4x30xf32>}> : () -> ()
func.func @odd(%ids: tensor<3xi64>) -> tensor<3x30xf32> {
  %t = "util.global.load"() <{global = @odd_table}> : () -> tensor<4x30xf32>
  %init = tensor.empty() : tensor<3x30xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x30xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<4x30xf32>
    linalg.yield %x : f32
  } -> tensor<3x30xf32>
  return %rows : tensor<3x30xf32>
}
{-#
  dialect_resources: {
    builtin: {
      odd_blob: "0x04000000614B4DBF9884A9BF82527EBE9944D73EF969913FC0ADE03D4B7A0DBF5EE748BFCEAD3F3F9240D13F59A88B3EB7DD9DBFDE5075BF6DCDCC3F6AC04F3E98B6DDBFE968ABBD97E494BF061921BFE6DBF9BEB59B36BF36AA0D3F383381BDF8E416BF0DBCD13E6671543F974ED2BF227283BE42127BBF9A4F31BEAC0BA5BFE77EA93C142E1BBD28D29BBE752286BF76D9CABEAAB08BBF7B77ADBF3B2E663E2EFF8DBF43CC953F4A72373F75B8FFBF7A548B3E0D058DBF0267073D76B7323DDE84FEBF50066FBEE9F682BEAB45763FA63997BF50F03C3F24AB8CBFF69EA9BE402957BF0770B93F6A76113F81A11B40A254243F7251583FFE36573FE54A1BBF136B8FBD8BD9AC3FB408CBBEAA54413ED3DCADBC9DF51B3F52D5BABEC1041CBED632783ECCFDD23DDB6E5DBF0A52653FA234A6BF28BE99BFB128A4BF7F8B773FA9A1B8BED79578BF266991BF809ED73E050587BF75D3A2BFA62E1D3FB82D99BF9D16A5BEE98FDDBBFF02E4BEA1915DBDEE5CAB3F2D5304BFFA30A1BF7C1AEBBF35AE51BE085BB4BEFFB9873E78B1EDBE1A10F5BE26A838BFFA0E05BF7812243E98BDC2BE75B4CD3D1A5AF33FF94EF53E50BDC9BF4CE4DD3F3314B23E760071BF5C34683F80A2903CF67E1DBFA42D22BF8C517EBF6918453DFCCE883F3B6DA6BE4276D73E"
    }
  }
#-}
