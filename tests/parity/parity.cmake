# Parity with torchvision: scripts/make_golden.py writes each case into the build folder (a
# test fixture), then `lucid forward` runs it and tests/parity/compare checks every output.
add_executable(lucid_compare ${CMAKE_CURRENT_LIST_DIR}/compare.cpp)
target_link_libraries(lucid_compare PRIVATE lucid)

set(GOLDEN_DIR ${CMAKE_BINARY_DIR}/golden)
execute_process(COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/scripts/make_golden.py --list
                OUTPUT_VARIABLE GOLDEN_CASES RESULT_VARIABLE GOLDEN_LIST_RC)
if(NOT GOLDEN_LIST_RC EQUAL 0)
  message(FATAL_ERROR "scripts/make_golden.py --list failed: install python3-torch (scripts/install-deps.sh)")
endif()
string(REPLACE "\n" ";" GOLDEN_CASES "${GOLDEN_CASES}")
list(FILTER GOLDEN_CASES EXCLUDE REGEX "^$")

foreach(case ${GOLDEN_CASES})
  add_test(NAME golden.${case}
           COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/scripts/make_golden.py --reuse --out ${GOLDEN_DIR} ${case})
  set_tests_properties(golden.${case} PROPERTIES FIXTURES_SETUP golden_${case} TIMEOUT 900 RESOURCE_LOCK golden_memory)
  add_test(NAME parity.${case}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/forward_case.sh $<TARGET_FILE:lucid_cli> $<TARGET_FILE:lucid_compare>
                   ${GOLDEN_DIR}/${case})
  set_tests_properties(parity.${case} PROPERTIES FIXTURES_REQUIRED golden_${case} TIMEOUT 900)
  add_test(NAME engine.${case}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/engine_case.sh $<TARGET_FILE:lucid_cli> $<TARGET_FILE:lucid_compare>
                   ${GOLDEN_DIR}/${case})
  set_tests_properties(engine.${case} PROPERTIES FIXTURES_REQUIRED golden_${case} TIMEOUT 900 RESOURCE_LOCK golden_memory)
endforeach()

# Peak memory: weights held once. The engine at most 1.2x the weights (issue 4), measured on
# `lucid forward` (weights from a file) and on `lucid bench` (weights built in memory); the eager
# path, which keeps the model's own tensors, at most 1.5x.
foreach(path_ratio "engine;1.2" "eager;1.5")
  list(GET path_ratio 0 path)
  list(GET path_ratio 1 ratio)
  add_test(NAME peak_rss.${path}.resnext_101_32x32d
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/peak_rss.sh $<TARGET_FILE:lucid_cli> ${GOLDEN_DIR}/resnext_101_32x32d ${ratio}
                   $<$<STREQUAL:${path},eager>:--eager>)
  set_tests_properties(peak_rss.${path}.resnext_101_32x32d PROPERTIES FIXTURES_REQUIRED golden_resnext_101_32x32d
                       TIMEOUT 900 RUN_SERIAL TRUE)
endforeach()
add_test(NAME peak_rss.bench.resnext_101_32x32d
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/bench_rss.sh $<TARGET_FILE:lucid_cli> resnext_101_32x32d 1.2)
set_tests_properties(peak_rss.bench.resnext_101_32x32d PROPERTIES TIMEOUT 900 RUN_SERIAL TRUE)

# `lucid list` equals torchvision's own parameter counts, model by model.
add_test(NAME parity.parameter_counts
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/param_counts.sh $<TARGET_FILE:lucid_cli> ${PROJECT_SOURCE_DIR}/scripts/param_counts.py)

# `lucid classify` end to end, per preset: torch.save checkpoint + real photographs from Debian's
# python3-skimage (JPEG and PNG; landscape and portrait; grayscale, palette and alpha).
set(PHOTO_DIR /usr/lib/python3/dist-packages/skimage/data)
set(PHOTOS rocket.jpg hubble_deep_field.jpg chelsea.png coffee.png astronaut.png camera.png cell.png
           green_palette.png logo.png)
list(TRANSFORM PHOTOS PREPEND ${PHOTO_DIR}/)
foreach(preset tv_v1 tv_v2 timm_gluon timm_wsl)
  add_test(NAME classify.${preset}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/classify_case.sh $<TARGET_FILE:lucid_cli> ${CMAKE_BINARY_DIR}/classify
                   ${preset} ${PHOTOS})
  set_tests_properties(classify.${preset} PROPERTIES TIMEOUT 900)
endforeach()
# bf16 against torchvision's fp32 on the same photographs (skipped without AVX-512).
foreach(model resnext_50_32x4d resnext_101_32x8d)
  add_test(NAME classify.bf16.${model}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/classify_bf16_case.sh $<TARGET_FILE:lucid_cli> ${CMAKE_BINARY_DIR}/classify
                   ${model} ${PHOTOS})
  set_tests_properties(classify.bf16.${model} PROPERTIES TIMEOUT 900 SKIP_RETURN_CODE 77)
endforeach()

# bench/compare end to end (ours, PyTorch, ONNX Runtime on resnext_50_32x4d, batch 1, a few runs).
add_test(NAME bench.compare_smoke
         COMMAND ${PROJECT_SOURCE_DIR}/bench/compare --quick --out ${CMAKE_BINARY_DIR}/bench --lucid $<TARGET_FILE:lucid_cli>)
set_tests_properties(bench.compare_smoke PROPERTIES TIMEOUT 600)

# bench/profile end to end: it fails unless PyTorch's oneDNN primitives and ONNX Runtime's nodes
# sort into the same convolutions, row by row, as the plan's steps.
add_test(NAME bench.profile_smoke
         COMMAND ${PROJECT_SOURCE_DIR}/bench/profile --model resnext_50_32x4d --runs 1 --lucid $<TARGET_FILE:lucid_cli>)
set_tests_properties(bench.profile_smoke PROPERTIES TIMEOUT 600)
