{
  "targets": [
    {
      "target_name": "faiss-node",
      "sources": ["src/faiss.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fopenmp", "-fexceptions", "-O2", "-include", "<(module_root_dir)/idx_t.h"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "libraries": ["<(module_root_dir)/distances_simd.o", "-lfaiss", "-lblas", "-llapack", "-lgomp"]
    }
  ]
}
