/** Every operation the app sends. Codegen types them and lists them in the manifest. */
import { graphql } from './gql';

export const SessionFields = graphql(`
  fragment SessionFields on AuthPayload {
    accessToken
    refreshToken
    expiresIn
    user {
      id
      nickname
      email
      points
      settings {
        language
      }
    }
  }
`);

export const SignUp = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      ...SessionFields
    }
  }
`);

export const LogIn = graphql(`
  mutation LogIn($input: LogInInput!) {
    logIn(input: $input) {
      ...SessionFields
    }
  }
`);

export const RefreshSession = graphql(`
  mutation RefreshSession($refreshToken: String!) {
    refreshSession(refreshToken: $refreshToken) {
      ...SessionFields
    }
  }
`);

export const LogOut = graphql(`
  mutation LogOut($refreshToken: String!) {
    logOut(refreshToken: $refreshToken)
  }
`);

export const SetLanguage = graphql(`
  mutation SetLanguage($language: Language!) {
    updateProfile(input: { language: $language }) {
      id
      settings {
        language
      }
    }
  }
`);

export const MyHistory = graphql(`
  query MyHistory($language: Language) {
    me {
      id
      nickname
      email
      points
      analyses(first: 10) {
        edges {
          node {
            id
            status
            createdAt
            pointsAwarded
            result {
              itemName
              category {
                code
                name(language: $language)
              }
            }
          }
        }
      }
    }
  }
`);

export const CreateUpload = graphql(`
  mutation CreateUpload($input: CreateImageUploadInput!) {
    createImageUpload(input: $input) {
      uploadId
      uploadUrl
      expiresAt
    }
  }
`);

export const Analyze = graphql(`
  mutation Analyze($input: AnalyzeWasteInput!) {
    analyzeWaste(input: $input) {
      id
      status
      stage
      progress
    }
  }
`);

export const Progress = graphql(`
  subscription Progress($analysisId: ID!, $language: Language) {
    analysisProgress(analysisId: $analysisId) {
      analysisId
      status
      stage
      progress
      message(language: $language)
      pointsAwarded
    }
  }
`);

export const AnalysisResult = graphql(`
  query AnalysisResult($id: ID!, $language: Language, $latitude: Float!, $longitude: Float!) {
    analysis(id: $id) {
      id
      status
      pointsAwarded
      error {
        code
        message
      }
      result {
        itemName
        confidence
        cached
        category {
          code
          name(language: $language)
          guide {
            steps(language: $language)
            notAccepted {
              name(language: $language)
              goesTo {
                code
                name(language: $language)
              }
            }
          }
          dropOffPointsNear(
            latitude: $latitude
            longitude: $longitude
            radiusMeters: 50000
            first: 5
          ) {
            distanceMeters
            point {
              id
              name
              address
              kind
              isOpenNow
            }
          }
        }
      }
    }
  }
`);
