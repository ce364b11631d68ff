/// Shared test helpers: a `closeTo` that explains failures, named tolerances, and an FsCheck runner.
module TestKit

open System
open FsCheck
open Xunit

/// Named tolerances per precision. Exact laws use the tight values; grid-approximate laws say why they are loose.
module Tol =
    /// float64 laws that hold to rounding (round trips, unitarity, homomorphisms) at moderate sizes.
    let f64 = 1e-10
    /// float32 laws that hold to rounding.
    let f32 = 2e-5

/// Fails with the max absolute and relative error, the worst index and both values unless
/// |expected − actual| ≤ tol · max(1, |expected|) everywhere.
let closeTo (what: string) (tol: float) (expected: float[]) (actual: float[]) =
    if expected.Length <> actual.Length then
        failwithf "%s: expected %d values, got %d" what expected.Length actual.Length

    let mutable worst = -1
    let mutable worstErr = 0.0
    let mutable maxAbs = 0.0
    let mutable maxRel = 0.0

    for i in 0 .. expected.Length - 1 do
        let e, a = expected[i], actual[i]
        let d = abs (e - a)
        let scaled = d / max 1.0 (abs e)

        if Double.IsNaN a || Double.IsNaN e || scaled > worstErr then
            worstErr <-
                (if Double.IsNaN a || Double.IsNaN e then
                     infinity
                 else
                     scaled)

            worst <- i

        maxAbs <- max maxAbs d
        maxRel <- max maxRel (d / max 1e-300 (abs e))

    if worst >= 0 && worstErr > tol then
        failwithf
            "%s: max abs error %.3e, max rel error %.3e, tolerance %.1e; worst at index %d: expected %.17g, got %.17g"
            what
            maxAbs
            maxRel
            tol
            worst
            expected[worst]
            actual[worst]

/// Asserts |expected − actual| ≤ tol · max(1, |expected|) for one value.
let close (what: string) (tol: float) (expected: float) (actual: float) =
    closeTo what tol [| expected |] [| actual |]

/// Fails unless the arrays have the same length and every element the same bits (NaNs included), naming the first
/// element that differs.
let bitEqual (what: string) (expected: float[]) (actual: float[]) =
    if expected.Length <> actual.Length then
        failwithf "%s: expected %d values, got %d" what expected.Length actual.Length

    for i in 0 .. expected.Length - 1 do
        if
            BitConverter.DoubleToInt64Bits expected[i]
            <> BitConverter.DoubleToInt64Bits actual[i]
        then
            failwithf "%s: element %d of %d differs: expected %.9g, got %.9g" what i expected.Length expected[i] actual[i]

/// Runs an FsCheck property with `maxTest` cases; a failure throws with the counterexample and the replay seed.
let property (maxTest: int) (prop: 'a -> unit) =
    Check.One(Config.QuickThrowOnFailure.WithMaxTest(maxTest), prop)

/// Asserts that `f` throws an exception of type 'E whose message contains every string in `fragments`.
let throwsWith<'E when 'E :> exn> (fragments: string list) (f: unit -> unit) =
    let e = Assert.ThrowsAny<'E>(Action f)

    for fr in fragments do
        if not (e.Message.Contains fr) then
            failwithf "Expected the message to contain '%s', got: %s" fr e.Message
