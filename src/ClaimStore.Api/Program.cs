using ClaimStore.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddClaimStoreDatabase();
builder.AddClaimStoreSilo();
builder.Services.AddClaimStoreApi();

var app = builder.Build();
app.UseClaimStoreApi();
app.Run();
