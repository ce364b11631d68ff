module GridTests

open System
open Xunit
open EquiSphere.Harmonics
open TestKit

[<Fact>]
let ``quadrature weights sum to 4π`` () =
    for b in [ 1; 2; 4; 16; 64; 256 ] do
        let w = Grid.quadratureWeights b
        close (sprintf "Σ w at B=%d" b) 1e-13 (4.0 * Math.PI) (2.0 * float b * Array.sum w)

[<Fact>]
let ``quadrature integrates cos^k θ exactly up to degree 2B-1`` () =
    for b in [ 2; 8; 32 ] do
        let w = Grid.quadratureWeights b
        let t = Grid.colatitudes b

        for k in 0 .. 2 * b - 1 do
            let exact = if k % 2 = 1 then 0.0 else 4.0 * Math.PI / float (k + 1)

            let approx =
                Array.fold2 (fun acc wj tj -> acc + 2.0 * float b * wj * cos tj ** float k) 0.0 w t

            close (sprintf "∫ cos^%d θ at B=%d" k b) 1e-12 exact approx

[<Fact>]
let ``grid points are unit vectors at the stated angles`` () =
    let b = 8
    let t, p = Grid.colatitudes b, Grid.longitudes b
    close "θ_0" 1e-15 (Math.PI / 32.0) t[0]
    close "φ_1" 1e-15 (2.0 * Math.PI / 16.0) p[1]

    for j in 0 .. 2 * b - 1 do
        for k in 0 .. 2 * b - 1 do
            let x, y, z = Grid.point b j k
            let tj, pk = Grid.toSpherical (x, y, z)
            closeTo "angles" 1e-12 [| t[j]; p[k] |] [| tj; pk |]

[<Fact>]
let ``SO(3) grid rotation matches its Euler angles`` () =
    let b = 4
    let r = So3Grid.rotation b 1 2 3
    let a, be, g = Rotation.toEulerZyz r
    closeTo "angles" 1e-12 [| (So3Grid.alphas b)[1]; (So3Grid.betas b)[2]; (So3Grid.gammas b)[3] |] [| a; be; g |]
