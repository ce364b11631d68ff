using G = EquiSphere.Geometry;

namespace EquiSphere;

/// <summary>
/// The procedural shape categories (airplane, car, chair, sofa, table, lamp): seeded instances built from parametric
/// parts, each without rotational symmetry. Canonical frame: y up, front toward +z; instances lie in the unit ball.
/// </summary>
public static class ShapeCategories
{
    /// <summary>The category names in label order: label i is <c>Names[i]</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(G.Shapes.all.Select(G.Shapes.name).ToArray());

    /// <summary>
    /// The instance <paramref name="seed"/> of a category with intra-class variation <paramref name="spread"/> in
    /// [0, 1] (0: the category's template for every seed; 1: full variety). The same arguments give the same mesh.
    /// </summary>
    /// <param name="category">A name from <see cref="Names"/>, case-insensitive.</param>
    /// <param name="seed">The instance seed.</param>
    /// <param name="spread">The variation knob in [0, 1].</param>
    /// <exception cref="ArgumentNullException"><paramref name="category"/> is null.</exception>
    /// <exception cref="ArgumentException">The category is unknown or the spread is outside [0, 1].</exception>
    public static Mesh Generate(string category, int seed, double spread)
    {
        ArgumentNullException.ThrowIfNull(category);
        return new Mesh(G.Shapes.generate(G.Shapes.parse(category), seed, spread));
    }

    /// <summary>The class label of a category (its index in <see cref="Names"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="category"/> is null.</exception>
    /// <exception cref="ArgumentException">The category is unknown.</exception>
    public static int Label(string category)
    {
        ArgumentNullException.ThrowIfNull(category);
        return G.Shapes.label(G.Shapes.parse(category));
    }
}
