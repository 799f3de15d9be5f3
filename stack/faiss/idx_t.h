// faiss 1.7.3 (Debian) predates faiss::idx_t, which faiss-node 0.5.1 uses.
#include <cstdint>
namespace faiss { using idx_t = int64_t; }
