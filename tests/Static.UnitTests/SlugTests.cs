using Static.Shared.Catalog;

namespace Static.UnitTests;

public sealed class SlugTests
{
    [Theory]
    [InlineData("shoes")]
    [InlineData("red-shoes-42")]
    [InlineData("a")]
    [InlineData("2026")]
    public void Valid_slugs_are_accepted(string slug) => Assert.True(Slug.IsValid(slug));

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("Shoes")]
    [InlineData("red_shoes")]
    [InlineData("-shoes")]
    [InlineData("shoes-")]
    [InlineData("red--shoes")]
    [InlineData("red shoes")]
    [InlineData("schuhé")]
    [InlineData("../etc")]
    public void Invalid_slugs_are_rejected(string? slug) => Assert.False(Slug.IsValid(slug));

    [Fact]
    public void Overlong_slugs_are_rejected() => Assert.False(Slug.IsValid(new string('a', Slug.MaxLength + 1)));

    [Theory]
    [InlineData("Crème Brûlée and Co.", "creme-brulee-and-co")]
    [InlineData("  Games, Music & Beauty ", "games-music-beauty")]
    [InlineData("Handmade Keyboard 2", "handmade-keyboard-2")]
    [InlineData("!!!", "")]
    public void From_turns_text_into_a_valid_slug(string text, string expected)
    {
        var slug = Slug.From(text);
        Assert.Equal(expected, slug);
        Assert.True(slug.Length == 0 || Slug.IsValid(slug));
    }
}
