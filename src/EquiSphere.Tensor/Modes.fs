namespace EquiSphere.Tensor

/// How a padded axis is filled beyond its edge (`PadMode.Zeros`, `PadMode.Reflect`, `PadMode.Circular`); the
/// kernels' type, re-exported so that opening `EquiSphere.Tensor` suffices.
type PadMode = Kernels.PadMode

/// The interpolation of an upsampling (`UpsampleMode.Bilinear`, `UpsampleMode.Bicubic`); the kernels' type.
type UpsampleMode = Kernels.UpsampleMode
