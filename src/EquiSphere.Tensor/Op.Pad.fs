namespace EquiSphere.Tensor

/// Differentiable padding of the last two axes (rows = colatitude, columns = longitude on the sphere), the
/// mode chosen per axis: the spherical decoder pads circularly along longitude and by reflection along
/// colatitude. Law: the reverse rule is the adjoint (⟨pad x, y⟩ = ⟨x, padᵀ y⟩).
[<RequireQualifiedAccess>]
module Pad =

    let private check (what: string) (mode: PadMode) (n: int) (before: int) (after: int) =
        if before < 0 || after < 0 then
            invalidArg what (sprintf "Expected non-negative %s padding, got (%d, %d)" what before after)

        match mode with
        | Reflect when before >= n || after >= n ->
            invalidArg what (sprintf "Expected reflect padding < size %d along the %s axis, got (%d, %d)" n what before after)
        | Circular when before > n || after > n ->
            invalidArg what (sprintf "Expected circular padding <= size %d along the %s axis, got (%d, %d)" n what before after)
        | _ -> ()

    /// Pads a tensor of rank ≥ 2 by (top, bottom) rows filled by `rowMode` and (left, right) columns filled by
    /// `colMode`: [..; H; W] → [..; H + top + bottom; W + left + right].
    let pad2d (rowMode: PadMode, top: int, bottom: int) (colMode: PadMode, left: int, right: int) (x: Tensor) =
        if x.Rank < 2 then
            invalidArg "x" (sprintf "Expected a tensor of shape [..; H; W], got %s" (Shape.format x.ShapeRef))

        let r = x.Rank
        let h, w = x.ShapeRef[r - 2], x.ShapeRef[r - 1]
        check "row" rowMode h top bottom
        check "column" colMode w left right
        let planes = Shape.numel x.ShapeRef[.. r - 3]
        let rows, cols = (rowMode, top, bottom), (colMode, left, right)
        let out = Array.append x.ShapeRef[.. r - 3] [| h + top + bottom; w + left + right |]

        let y =
            match x.Storage with
            | S32 a -> S32(RawPad.forward planes h w rows cols a)
            | S64 a -> S64(RawPad.forward planes h w rows cols a)

        let sh = x.ShapeRef

        Tensor.Make(
            y,
            out,
            "pad2d",
            [| x |],
            fun g ->
                let back =
                    match g.Storage with
                    | S32 a -> S32(RawPad.backward planes h w rows cols a)
                    | S64 a -> S64(RawPad.backward planes h w rows cols a)

                [| Tensor.Leaf(back, sh) |]
        )

    /// The same padding p on all four sides with one mode.
    let uniform (mode: PadMode) (p: int) (x: Tensor) = pad2d (mode, p, p) (mode, p, p) x
