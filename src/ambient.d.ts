// Ambient module declarations for hapi plugins that ship no types.
declare module '@hapi/cookie' {
  const plugin: import('@hapi/hapi').Plugin<unknown>;
  export default plugin;
}
declare module '@hapi/crumb' {
  const plugin: import('@hapi/hapi').Plugin<unknown>;
  export default plugin;
}
