"""Memory layout shared by the packet kernel and its Python driver: column indices of the flow
table, selection, export and host-name areas, and status codes. No Numba here, so the driver can
use the ahead-of-time build without importing Numba at all."""

from __future__ import annotations

import numpy as np

# ---- flow table columns (int64) ------------------------------------------------------------
(F_USED, F_AHI, F_ALO, F_BHI, F_BLO, F_APORT, F_BPORT, F_PROTO, F_IPVER, F_FIRST_FRAME,
 F_LAST_FRAME, F_PK0, F_PK1, F_BY0, F_BY1, F_FPL0, F_FPL1, F_FPDIR, F_SYNFROM, F_MARKED,
 F_CLOSED, F_FLOW_ID, F_US_OFF0, F_US_OFF1, F_US_LEN0, F_US_LEN1, F_US_FRAME0, F_US_FRAME1,
 F_US_SEQ0, F_US_SEQ1, F_US_CHUNK0, F_US_CHUNK1, F_HEAD0, F_HEAD1, F_ISN0, F_ISN1) = range(36)
NF_I = 36
# float columns
FT_FIRST, FT_LAST, FT_US_TS0, FT_US_TS1 = range(4)
NF_F = 4

# ---- selected packet columns (int64) -------------------------------------------------------
(S_FRAME, S_FLOW_ID, S_DIR, S_SEQ, S_FLAGS, S_POFF, S_PLEN, S_KIND, S_AHI, S_ALO, S_BHI, S_BLO,
 S_APORT, S_BPORT, S_IPVER, S_SYNFROM, S_PROTO, S_ISN) = range(18)
NS_I = 18
K_STREAM, K_DNS, K_TLS_HELLO, K_HTTP_HEAD = 1, 2, 3, 4

# ---- host-name rows (DNS answers, TLS SNI, HTTP Host), decoded in the kernel -----------------
(NM_FRAME, NM_KIND, NM_SHI, NM_SLO, NM_CHI, NM_CLO, NM_VER, NM_TTL, NM_LEN, NM_CVER) = range(10)
NNM_I = 10
NAME_MAX = 128

# ---- kernel return status ------------------------------------------------------------------
ST_NEED_MORE = 0      # consumed everything that is complete in the buffer
ST_SEL_FULL = 1       # selection area full: drain and call again
ST_EXPORT_FULL = 2    # export area full: drain and call again
ST_META_BLOCK = 3     # pcapng block the kernel does not handle (SHB/IDB/...) at `consumed`
ST_BAD_RECORD = 4     # impossible record length at `consumed`: the file is corrupt there

TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10
MAX_SNAP = 262144 * 4

# stats indices
(STAT_FRAMES, STAT_BYTES, STAT_UNDECODED, STAT_TCP_PAYLOAD, STAT_SELECTED, STAT_NONIP) = range(6)


def new_flow_table(capacity: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((capacity, NF_I), np.int64), np.zeros((capacity, NF_F), np.float64)
