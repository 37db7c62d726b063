import { defineConfig } from "vitest/config";

// Tauri loads the dev server from http://localhost:5173 (`devUrl` in tauri.conf.json) and the
// built files from `ui/dist` (`frontendDist`). In a plain browser the in-page mock backend answers.
export default defineConfig({
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    watch: { ignored: ["**/src-tauri/**", "**/test-results/**"] },
  },
  preview: {
    port: 4173,
    strictPort: false,
  },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
