# Image of the retraining Cloud Run job (infra/modules/pipeline/jobs.tf): the esbuild bundle dist/jobs/retrain
# (scripts/build.mjs) and the one native package it needs (onnxruntime-node, CPU binaries only), run with node.
# Built and pushed by cloudbuild.yaml (retrain-job-image step) from the repository root after `npm run build`.
FROM node:20-bookworm-slim
ARG CODE_REVISION=unknown
ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip \
    LEDGERX_CODE_REVISION=${CODE_REVISION}
WORKDIR /app
COPY dist/jobs/retrain/ ./
RUN npm ci --omit=dev --ignore-scripts \
 && node -e "const fs=require('fs'),p=require('path');const b=p.join('node_modules','onnxruntime-node','bin','napi-v6');for(const os of fs.readdirSync(b))for(const a of fs.readdirSync(p.join(b,os)))if(os!==process.platform||a!==process.arch)fs.rmSync(p.join(b,os,a),{recursive:true,force:true})"
USER node
CMD ["node", "--max-old-space-size=6144", "index.js"]
