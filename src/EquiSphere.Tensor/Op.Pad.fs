namespace EquiSphere.Tensor

/// Differentiable padding of the last two axes (rows = colatitude, columns = longitude on the sphere), the
/// mode chosen per axis: the spherical decoder pads circularly along longitude and by reflection along
/// colatitude. Law: the reverse rule is the adjoint (⟨pad x, y⟩ = ⟨x, padᵀ y⟩).
[<RequireQualifiedAccess>]
module Pad =

    /// Runs `body spec' xOffset yOffset` on contiguous groups of whole planes (a fixed split from
    /// `RawSplit.parts` of the output length): planes are padded independently, so the result does not depend
    /// on the split.
    let private overPlanes (spec: Kernels.Pad2dSpec) (outLength: int) (body: Kernels.Pad2dSpec -> int -> int -> unit) =
        let parts = min spec.Planes (RawSplit.parts outLength)

        if parts <= 1 then
            body spec 0 0
        else
            let per = (spec.Planes + parts - 1) / parts

            System.Threading.Tasks.Parallel.For(
                0,
                parts,
                fun k ->
                    let p0 = k * per
                    let count = min per (spec.Planes - p0)

                    if count > 0 then
                        body { spec with Planes = count } (p0 * spec.Height * spec.Width) (p0 * spec.OutHeight * spec.OutWidth)
            )
            |> ignore

    /// Pads a tensor of rank ≥ 2 by (top, bottom) rows filled by `rowMode` and (left, right) columns filled by
    /// `colMode`: [..; H; W] → [..; H + top + bottom; W + left + right]. Reflect padding must be smaller than
    /// its axis.
    let pad2d (rowMode: PadMode, top: int, bottom: int) (colMode: PadMode, left: int, right: int) (x: Tensor) =
        if x.Rank < 2 then
            invalidArg "x" (sprintf "Expected a tensor of shape [..; H; W], got %s" (Shape.format x.ShapeRef))

        let r = x.Rank
        let h, w = x.ShapeRef[r - 2], x.ShapeRef[r - 1]

        let check (what: string) (mode: PadMode) (n: int) (before: int) (after: int) =
            if before < 0 || after < 0 then
                invalidArg what (sprintf "Expected non-negative %s padding, got (%d, %d)" what before after)

            if mode = PadMode.Reflect && (before >= n || after >= n) then
                invalidArg what (sprintf "Expected reflect padding < size %d along the %s axis, got (%d, %d)" n what before after)

        check "row" rowMode h top bottom
        check "column" colMode w left right

        let spec: Kernels.Pad2dSpec =
            {
                Planes = Shape.numel x.ShapeRef[.. r - 3]
                Height = h
                Width = w
                Top = top
                Bottom = bottom
                Left = left
                Right = right
                ModeH = rowMode
                ModeW = colMode
            }

        let out = Array.append x.ShapeRef[.. r - 3] [| spec.OutHeight; spec.OutWidth |]
        let n = Shape.numel out

        let y =
            match x.Storage with
            | S32 a ->
                let y = StoragePool.rent32 n
                overPlanes spec n (fun s xo yo -> Kernels.Pad.forward s a xo y yo)
                S32 y
            | S64 a ->
                let y = StoragePool.rent64 n
                overPlanes spec n (fun s xo yo -> Kernels.Pad.forward s a xo y yo)
                S64 y

        let sh = x.ShapeRef

        Tensor.Make(
            y,
            out,
            "pad2d",
            [| x |],
            fun g ->
                let back =
                    match g.Storage with
                    | S32 a ->
                        let dx = StoragePool.rent32 x.Numel
                        overPlanes spec n (fun s xo yo -> Kernels.Pad.adjoint s a yo dx xo)
                        S32 dx
                    | S64 a ->
                        let dx = StoragePool.rent64 x.Numel
                        overPlanes spec n (fun s xo yo -> Kernels.Pad.adjoint s a yo dx xo)
                        S64 dx

                [| Tensor.Leaf(back, sh) |]
        )

    /// The same padding p on all four sides with one mode.
    let uniform (mode: PadMode) (p: int) (x: Tensor) = pad2d (mode, p, p) (mode, p, p) x
