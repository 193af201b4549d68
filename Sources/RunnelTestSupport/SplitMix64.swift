// The one seeded generator lives in RunnelCore (production code seeds with it too); tests get it
// from here with the rest of their support, and a failing random test replays from its seed.
@_exported import struct RunnelCore.SplitMix64
